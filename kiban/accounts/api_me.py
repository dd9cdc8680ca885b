"""/api/v1/me/…: what the signed-in person changes about their own account (`/api/v1/me` itself is the
directory's, kiban.org.api)."""

from __future__ import annotations

from ninja import Field, Router, Schema

from kiban.accounts import actions
from kiban.accounts.api import rate_limited
from kiban.accounts.ratelimit import LoginBlocked

router = Router(tags=["me"])


class ErrorOut(Schema):
    detail: str


class PasswordChange(Schema):
    current: str = Field(..., min_length=1, max_length=4096, description="The present password")
    new: str = Field(..., min_length=1, max_length=4096, description="Checked against the password policy")
    revoke_tokens: bool = Field(
        False, description="Also revoke the person's API tokens (except the one making this request)"
    )


class PasswordChanged(Schema):
    sessions_ended: int = Field(..., description="Other browsers signed out")
    tokens_revoked: int


@router.post(
    "/password",
    response={200: PasswordChanged, 400: ErrorOut, 429: ErrorOut},
    summary="Change the caller's password",
)
def change_password(request, payload: PasswordChange):
    """The current password is required and the new one must meet the policy (400 naming `current` or
    `new`). Every other browser session is signed out; this one stays signed in. Wrong current passwords
    count towards the sign-in rate limit (429 with `Retry-After`)."""
    try:
        ended = actions.do_change_password(
            request, request.auth, payload.current, payload.new, revoke_tokens=payload.revoke_tokens
        )
    except LoginBlocked as blocked:
        return rate_limited(blocked)
    return {"sessions_ended": ended["sessions"], "tokens_revoked": ended["tokens"]}
