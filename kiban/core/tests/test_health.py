"""/healthz, /readyz, the OpenAPI schema and the offline API docs."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ready_when_the_database_answers(db, client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_is_503_when_the_database_does_not_answer(db, client, settings, monkeypatch):
    settings.REDIS_URL = ""

    # The one mock in these tests: stopping the test database server would take every other test with it,
    # so only this connection's cursor is made to fail the way a lost server does.
    def unreachable(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", unreachable)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "error: OperationalError"}}


def test_readyz_is_503_when_redis_does_not_answer(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "error: ConnectionError"}


def test_openapi_schema_is_json_with_the_api_paths(db, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Kiban API"
    assert "/api/v1/auth/token" in schema["paths"]


def test_api_docs_are_behind_sign_in_and_linked_from_the_manage_page(client, it_admin):
    response = client.get("/api/v1/docs")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/api/v1/docs"
    client.force_login(it_admin)
    assert '<a href="/api/v1/docs">APIドキュメント</a>' in client.get("/manage/").content.decode()


def test_api_docs_load_only_local_files_and_no_inline_script(client, clerk):
    client.force_login(clerk)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(sources) == [
        "/api/v1/openapi.json",  # the <noscript> link
        "/static/kiban/api-docs.js",
        "/static/kiban/icon.svg",
        "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui-5.35.0/swagger-ui.css",
    ]
    # Every <script> has a src: nothing inline for the CSP to refuse.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert 'data-openapi-url="/api/v1/openapi.json"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/static/kiban/api-docs.js",
        "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui-5.35.0/swagger-ui.css",
    ],
)
def test_api_docs_files_are_served_without_collectstatic(path):
    from django.contrib.staticfiles import finders

    relative = path.removeprefix("/static/")
    assert finders.find(relative) is not None
    response = Client().get(path)
    assert response.status_code == 200
