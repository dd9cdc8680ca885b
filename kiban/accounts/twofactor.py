"""TOTP (RFC 6238) two-factor helpers: secrets, the enrolment QR code, code checks, recovery codes.

Pure functions over values; the writes (enable, disable, consuming a code) are in actions.py.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ISSUER = "Kiban"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: the code is read off paper and typed on a phone.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI (allowed by the CSP's img-src; no script)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The TOTP time step `code` is valid for (allowing one step of clock drift either way), or None."""
    code = "".join(code.split())
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        at = now + dt.timedelta(seconds=drift * totp.interval)
        if hmac.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes() -> list[str]:
    """Ten codes of ten characters (50 bits each), shown as `xxxxx-xxxxx`."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


# argon2id with OWASP's minimum parameters (19 MiB, 2 passes), not a fast hash: 50 bits would not survive
# an offline guess at SHA-256 speed if the database leaked, and a sign-in may check all ten codes.
_RECOVERY_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_recovery_code(code: str) -> str:
    return _RECOVERY_HASHER.hash(normalize_recovery_code(code))


def recovery_code_matches(code: str, code_hash: str) -> bool:
    try:
        return _RECOVERY_HASHER.verify(code_hash, normalize_recovery_code(code))
    except (VerificationError, InvalidHashError):
        return False


def looks_like_recovery_code(code: str) -> bool:
    return len(normalize_recovery_code(code)) == 10
