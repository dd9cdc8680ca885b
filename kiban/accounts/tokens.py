"""API tokens: random, shown once, stored as SHA-256 (a token has 256 bits of entropy, so a fast hash
is enough; no need for a password hash on every request)."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "kbn_"  # noqa: S105  (a marker, not a secret)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
