"""Error pages are Japanese pages of the application, with the navigation and a way back."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from kiban import urls
from kiban.web import errors


@pytest.mark.django_db
def test_unknown_page_is_a_japanese_404_with_navigation_and_a_way_back(client, clerk):
    client.force_login(clerk)
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/directory/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "ページが見つかりません" in html
    assert 'class="topbar"' in html and 'data-section="chat"' in html
    assert 'href="http://testserver/directory/" data-error-back' in html
    assert 'href="/" data-error-home' in html
    assert "Not Found" not in html


@pytest.mark.django_db
def test_404_offers_no_way_back_to_another_site(client, clerk):
    client.force_login(clerk)
    html = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in html
    assert "data-error-back" not in html


@pytest.mark.django_db
def test_anonymous_404_points_to_sign_in(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'href="/login" data-error-home' in response.content.decode()


@pytest.mark.django_db
def test_unknown_api_path_still_answers_json(client, clerk):
    client.force_login(clerk)
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.django_db
def test_error_page_in_english_for_a_person_who_switched(client, clerk):
    client.force_login(clerk)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html


@pytest.mark.django_db
def test_permission_denied_is_a_japanese_403_page(clerk):
    request = RequestFactory().get("/somewhere/")
    request.user = clerk
    with translation.override("ja"):
        response = errors.permission_denied(request)
    assert response.status_code == 403
    assert "このページを表示する権限がありません" in response.content.decode()
    assert urls.handler403 == "kiban.web.errors.permission_denied"


@pytest.mark.django_db
def test_csrf_failure_is_a_japanese_page_telling_what_to_do(clerk):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk)
    response = browser.post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "フォームの有効期限が切れました" in html
    assert "再読み込み" in html
    assert 'class="topbar"' in html
    assert "CSRF verification failed" not in html


def test_500_page_renders_without_database_or_session():
    # No django_db mark: any database access here fails the test.
    request = RequestFactory().get("/chat/")
    with translation.override("ja"):
        response = errors.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "サーバーでエラーが発生しました" in html
    assert 'href="/" data-error-home' in html
    assert urls.handler500 == "kiban.web.errors.server_error"


@pytest.mark.django_db
def test_a_crashing_page_answers_the_500_page(client, clerk, monkeypatch):
    from kiban.portal import sections

    def boom(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sections, "today_out", boom)
    client.force_login(clerk)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert "サーバーでエラーが発生しました" in response.content.decode()
