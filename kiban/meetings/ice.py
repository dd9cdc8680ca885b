"""ICE servers for a meeting page: the installation's own TURN/STUN only (KIBAN_TURN_URLS), never a public one.

TURN credentials follow the TURN REST scheme that coturn implements (`use-auth-secret` +
`static-auth-secret`): the username is `<expiry unix time>:<who>`, the password the base64 HMAC-SHA1 of that
username keyed with KIBAN_TURN_SECRET. coturn checks both without asking Kiban, and refuses the credential
once the expiry has passed, so a copied credential is worth little. `who` is an opaque id (`s<pk>` for staff,
`g<pk>` for a guest): coturn's logs name no one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings

# Long enough for a half-day meeting without a page reload (coturn re-checks the credential when an
# allocation is refreshed); a page that restarts ICE fetches fresh ones.
CREDENTIAL_TTL = 6 * 60 * 60


def turn_credential(who: str, *, now: float | None = None, secret: str | None = None) -> tuple[str, str]:
    expiry = int(now if now is not None else time.time()) + CREDENTIAL_TTL
    username = f"{expiry}:{who}"
    key = (secret if secret is not None else settings.KIBAN_TURN_SECRET).encode()
    digest = hmac.new(key, username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(who: str, *, now: float | None = None) -> list[dict]:
    """RTCPeerConnection's `iceServers` for `who`: STUN URLs as they are, TURN URLs with a fresh credential.
    Empty when nothing is configured (peers then use their host addresses, which is enough on one LAN)."""
    urls = list(settings.KIBAN_TURN_URLS)
    stun = [url for url in urls if url.startswith(("stun:", "stuns:"))]
    turn = [url for url in urls if url.startswith(("turn:", "turns:"))]
    servers: list[dict] = []
    if stun:
        servers.append({"urls": stun})
    if turn:
        username, credential = turn_credential(who, now=now)
        servers.append({"urls": turn, "username": username, "credential": credential})
    return servers
