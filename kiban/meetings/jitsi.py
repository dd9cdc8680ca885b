"""Large meetings on the installation's own Jitsi Meet, signed in with a JWT room token.

Jitsi's token authentication (Prosody `authentication = "token"`, `app_id` and `app_secret`) accepts an HS256
token whose `iss` is the app id, `aud` an accepted audience ("jitsi"), `sub` the Jitsi domain, `room` the
room name, `exp` its expiry, and `context.user` the person shown in the room. Kiban signs one per person and
join, for one room only, and sends the browser to `<KIBAN_JITSI_URL>/<room>?jwt=<token>`.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlsplit

import jwt
from django.conf import settings

AUDIENCE = "jitsi"
# Jitsi checks the token when the browser connects (and again when it reconnects after a network blip):
# valid for a long meeting, useless the next day.
TOKEN_TTL = 4 * 60 * 60
CLOCK_SKEW = 60


def available() -> bool:
    return settings.KIBAN_MEETING_PROVIDER == "jitsi"


def domain() -> str:
    return urlsplit(settings.KIBAN_JITSI_URL).hostname or ""


def room_token(
    room: str, *, user_id: str, name: str, email: str = "", moderator: bool = False, now=None
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "aud": AUDIENCE,
        "iss": settings.KIBAN_JITSI_APP_ID,
        "sub": domain(),
        "room": room,
        "iat": issued,
        "nbf": issued - CLOCK_SKEW,
        "exp": issued + TOKEN_TTL,
        "context": {"user": {"id": user_id, "name": name, "email": email, "moderator": moderator}},
    }
    return jwt.encode(claims, settings.KIBAN_JITSI_SECRET, algorithm="HS256")


def join_url(room: str, token: str) -> str:
    return f"{settings.KIBAN_JITSI_URL}/{quote(room)}?jwt={token}"
