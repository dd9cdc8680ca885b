"""There is one sign-in: every URL that turns a password into a session or a token is the sign-in form or the
token endpoint, both of which consult the shared failure counter, ask for the second factor and audit.

The URLs are not listed by hand: the resolver is walked and a password is POSTed (as a form, as JSON and as
HTTP Basic) to every pattern, so a sign-in path added later (Django admin's own login form was one) fails here.
"""

from __future__ import annotations

import base64
import functools
import json
import re

import pyotp
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kiban.accounts.models import LoginFailure
from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import browser, sign_in
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

# The one sign-in form and the token endpoint: both go through `actions.authenticate_password`.
THE_SIGN_IN_PATHS = {"/login", "/api/v1/auth/token"}

_SAMPLE = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000001", "path": "x"}
_ROUTE_PARAM = re.compile(r"<(?:(\w+):)?\w+>")
_REGEX_GROUP = re.compile(r"\(\?P<\w+>([^()]*)\)")


def _concrete(pattern) -> str:
    """A path that the pattern matches, with a sample value for each parameter."""
    text = str(pattern.pattern)
    if hasattr(pattern.pattern, "converters"):  # a path() route
        return _ROUTE_PARAM.sub(lambda m: _SAMPLE.get(m.group(1) or "str", "x"), text)
    # A regular expression (Django admin's app index): the first alternative of each group.
    text = _REGEX_GROUP.sub(lambda m: m.group(1).split("|")[0].replace("[^/.]+", "x").replace("\\", ""), text)
    return text.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


@functools.cache
def _all_paths() -> list[str]:
    paths: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + _concrete(pattern))
            elif isinstance(pattern, URLPattern):
                paths.add("/" + prefix + _concrete(pattern))

    walk(get_resolver().url_patterns, "")
    return sorted(paths)


# Where views read a JSON body (the ninja API, SCIM, incoming webhooks); every other view reads a form.
_JSON_AREAS = ("/api/", "/scim/", "/hooks/")


def _password_accepted(path: str, username: str, password: str) -> bool:
    """POST the password to `path` as its views read bodies (JSON or a form) and as HTTP Basic (DAV clients
    send it that way) in the same request; True if that signed in (a session) or was answered with a token."""
    credentials = {"username": username, "password": password}
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    if path.startswith(_JSON_AREAS):
        body = {"data": json.dumps(credentials), "content_type": "application/json"}
    else:
        body = {"data": {**credentials, "next": "/"}}
    client = Client(REMOTE_ADDR="192.0.2.90")
    response = client.post(path, **body, HTTP_AUTHORIZATION=f"Basic {basic}")
    if "_auth_user_id" in client.session:
        return True
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            answer = response.json()
        except ValueError:
            return False
        return isinstance(answer, dict) and bool(answer.get("token"))
    return False


def test_the_resolver_has_the_admin_and_the_api_in_it():
    """The walk reaches every kind of pattern, so the tests below do look at every URL."""
    paths = _all_paths()
    assert "/admin/login/" in paths
    assert "/login" in paths
    assert "/api/v1/auth/token" in paths
    assert len(paths) > 150


def test_only_the_one_sign_in_turns_a_password_into_a_session_or_a_token(it_admin):
    accepting = {path for path in _all_paths() if _password_accepted(path, "100009", PASSWORD)}
    assert accepting == THE_SIGN_IN_PATHS


def test_each_sign_in_path_counts_and_audits_a_wrong_password(it_admin):
    for path in sorted(THE_SIGN_IN_PATHS):
        before = LoginFailure.objects.filter(username="100009").count()
        audited = AuditEntry.objects.filter(action="auth.login_failed").count()
        assert not _password_accepted(path, "100009", "wrong-password")
        assert LoginFailure.objects.filter(username="100009").count() > before, path
        assert AuditEntry.objects.filter(action="auth.login_failed").count() > audited, path


# The walk above proves no other URL takes a password at all; these check the ones that do (and the admin's
# login URL, the path this was found on) for the second factor and the shared counter.
PROBED_AGAIN = sorted(THE_SIGN_IN_PATHS | {"/admin/login/"})


def test_with_two_factor_on_no_sign_in_path_takes_the_password_alone(it_admin):
    it_admin.totp_enabled = True
    it_admin.totp_secret = pyotp.random_base32()
    it_admin.save(update_fields=["totp_enabled", "totp_secret"])
    assert [path for path in PROBED_AGAIN if _password_accepted(path, "100009", PASSWORD)] == []


def test_an_account_locked_on_the_web_form_is_locked_on_every_sign_in_path(it_admin):
    client = browser(ip="192.0.2.91")
    for _ in range(5):
        assert sign_in(client, "100009", "wrong-password").status_code == 200
    assert [path for path in PROBED_AGAIN if _password_accepted(path, "100009", PASSWORD)] == []


def test_the_admin_login_page_sends_the_browser_to_the_one_sign_in(it_admin, clerk):
    anonymous = Client()
    response = anonymous.get("/admin/")
    assert response.status_code == 302
    followed = anonymous.get(response["Location"])
    assert followed.status_code == 302
    assert followed["Location"] == "/login?next=/admin/"
    # A POST with the right password is not checked there: nothing signs in, the browser is sent on.
    posted = anonymous.post("/admin/login/?next=/admin/", {"username": "100009", "password": PASSWORD})
    assert posted.status_code == 302
    assert posted["Location"] == "/login?next=/admin/"
    assert "_auth_user_id" not in anonymous.session
    # After the one sign-in the administrator lands in the admin.
    admin_browser = browser()
    signed_in = sign_in(admin_browser, "100009", PASSWORD)
    assert signed_in.status_code == 302
    assert admin_browser.get("/admin/login/?next=/admin/")["Location"] == "/admin/"
    assert admin_browser.get("/admin/").status_code == 200
    # A colleague who is not an administrator is told no, instead of being sent round to sign in again.
    staff_browser = browser()
    sign_in(staff_browser, "100002", PASSWORD)
    assert staff_browser.get("/admin/login/?next=/admin/").status_code == 403
