"""Sign in the way a browser does: fetch the form, send its CSRF token back."""

from __future__ import annotations

import re
import time

import pyotp
from django.test import Client

CHROME_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def browser(user_agent: str = FIREFOX_WINDOWS, ip: str = "192.0.2.10") -> Client:
    return Client(enforce_csrf_checks=True, HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)


def csrf_token_of(client: Client, path: str) -> str:
    response = client.get(path)
    match = _CSRF.search(response.content.decode())
    assert match, f"no CSRF token on {path} (status {response.status_code})"
    return match.group(1)


def post_form(client: Client, path: str, data: dict, *, form_path: str | None = None):
    token = csrf_token_of(client, form_path or path)
    return client.post(path, {**data, "csrfmiddlewaretoken": token})


def sign_in(client: Client, username: str, password: str):
    return post_form(client, "/login", {"username": username, "password": password})


def csrf_cookie(client: Client) -> str:
    return client.cookies["csrftoken"].value


def code_after_next_step(secret: str) -> str:
    """The code of the next TOTP step: valid now (one step of drift is allowed) and not yet used."""
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + totp.interval)


RECOVERY_CODE = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")
