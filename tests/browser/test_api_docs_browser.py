"""The interactive API docs render from vendored files under the strict CSP."""

from __future__ import annotations

from kiban.accounts.tests.factories import PASSWORD
from tests.browser.helpers import sign_in


def test_api_docs_render_offline_under_the_csp(phone, clerk):
    sign_in(phone, clerk.username, PASSWORD)  # the docs page is behind sign-in
    requested: list[str] = []
    phone.on("request", lambda request: requested.append(request.url))
    phone.goto("/api/v1/docs")
    phone.locator(".swagger-ui .info .title", has_text="Kiban API").wait_for()
    phone.locator(".opblock-summary-path", has_text="/api/v1/auth/token").first.wait_for()
    assert phone.csp.violations == []
    assert [url for url in requested if not url.startswith(phone.url.split("/api/")[0])] == []
