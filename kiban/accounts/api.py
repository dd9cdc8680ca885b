"""/api/v1/auth/: API tokens and the caller's browser sessions."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from kiban.accounts import actions, queries
from kiban.accounts.devices import describe_user_agent
from kiban.accounts.ratelimit import LoginBlocked
from kiban.core import paging

router = Router(tags=["auth"])


class ErrorOut(Schema):
    detail: str


class TokenRequest(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=4096)
    otp: str | None = Field(
        None, max_length=64, description="TOTP code or recovery code, when two-factor is on"
    )
    label: str = Field("", max_length=100, description="e.g. the device: 「iPhone カレンダー」")


class TokenCreated(Schema):
    token: str = Field(..., description="Shown once; send as `Authorization: Bearer <token>`")
    id: int
    label: str


class TokenOut(Schema):
    id: int
    label: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    last_used_ip: str | None
    user_agent: str


class SessionOut(Schema):
    id: int
    device: str
    user_agent: str
    ip: str | None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool


def rate_limited(blocked: LoginBlocked) -> JsonResponse:
    response = JsonResponse(
        {
            "detail": _("ログインの失敗が続いたため、%(seconds)d秒後までログインできません。")
            % {"seconds": blocked.retry_after}
        },
        status=429,
    )
    response["Retry-After"] = str(blocked.retry_after)
    return response


@router.post(
    "/token",
    auth=None,
    response={201: TokenCreated, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
    summary="Create an API token (sign in)",
)
def create_token(request, payload: TokenRequest):
    """Exchange username, password (and `otp` when two-factor is on) for a bearer token.

    Failed attempts are rate limited like the web sign-in: 429 with `Retry-After`."""
    try:
        user = actions.authenticate_password(request, payload.username, payload.password, channel="api")
        if user.totp_enabled:
            if not payload.otp:
                raise HttpError(401, _("otp: 二要素認証が有効です。確認コードを otp に入れてください。"))
            actions.check_second_factor(request, user, payload.otp, channel="api")
    except LoginBlocked as blocked:
        return rate_limited(blocked)
    except actions.LoginRefused as refused:
        raise HttpError(401, str(refused)) from refused
    token, raw = actions.do_create_token(user, payload.label, request, via="api")
    return Status(201, {"token": raw, "id": token.pk, "label": token.label})


@router.get("/tokens", response=paging.Page[TokenOut], summary="The caller's API tokens")
def list_tokens(request, page: Query[paging.PageQuery]):
    return paging.page(queries.tokens_of(request.auth), page)


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorOut}, summary="Revoke an API token")
def revoke_token(request, token_id: int):
    actions.do_revoke_token(request.auth, token_id, request)
    return HttpResponse(status=204)


@router.get("/sessions", response=paging.Page[SessionOut], summary="The caller's signed-in browsers")
def list_sessions(request, page: Query[paging.PageQuery]):
    current_key = request.session.session_key if hasattr(request, "session") else None
    return paging.page(
        queries.live_device_sessions(request.auth),
        page,
        lambda s: {
            "id": s.pk,
            "device": describe_user_agent(s.user_agent),
            "user_agent": s.user_agent,
            "ip": s.ip,
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "current": s.session_key == current_key,
        },
    )


@router.delete("/sessions/{session_id}", response={204: None, 404: ErrorOut}, summary="Sign a browser out")
def revoke_session(request, session_id: int):
    actions.do_revoke_device_session(request.auth, session_id, request)
    return HttpResponse(status=204)
