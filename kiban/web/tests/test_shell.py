from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kiban.core import modules
from kiban.web.sections import available_sections

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_navigation_lists_every_module_entry_whose_page_exists(client, clerk):
    client.force_login(clerk)
    html = client.get("/").content.decode()
    shown = available_sections(clerk)
    assert [entry.key for entry, _url in shown][:6] == [
        "portal",
        "chat",
        "schedule",
        "booking",
        "bulletin",
        "directory",
    ]
    for entry, url in shown:
        assert f'href="{url}" class="nav-item' in html
        assert f'data-section="{entry.key}"' in html


def test_an_entry_whose_page_is_not_installed_is_not_a_dead_link(client, clerk, monkeypatch):
    ghost = modules.NavEntry("ghost", "幽霊", "ghost:index", "home", order=5)
    monkeypatch.setattr(modules, "navigation", lambda: [ghost, *_real_navigation()])
    client.force_login(clerk)
    html = client.get("/").content.decode()
    assert 'data-section="ghost"' not in html
    assert 'data-section="chat"' in html


_real_navigation = modules.navigation


def test_admin_section_is_shown_to_it_administrators_only(client, clerk, it_admin):
    client.force_login(clerk)
    assert 'data-section="admin"' not in client.get("/").content.decode()
    assert client.get(reverse("web:manage")).status_code == 404
    client.force_login(it_admin)
    assert 'data-section="admin"' in client.get("/").content.decode()
    assert client.get(reverse("web:manage")).status_code == 200


def test_portal_shows_today_in_wareki_and_marks_a_holiday(client, clerk, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 23))
    client.force_login(clerk)
    html = client.get("/").content.decode()
    assert "令和8年11月23日(月)" in html
    assert "勤労感謝の日" in html


def test_language_switch_turns_the_shell_english(client, clerk):
    client.force_login(clerk)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Portal" in html


def test_every_page_carries_a_strict_content_security_policy(client, clerk):
    client.force_login(clerk)
    csp = client.get("/")["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert script_src.strip() == "script-src 'self'"
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_japanese_is_shown_even_to_a_browser_that_prefers_english(client, clerk):
    client.force_login(clerk)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="ja">' in html
    assert "ポータル" in html


def test_favicon_is_served_for_pages_without_our_icon_link(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/kiban/icon.svg"
    assert client.get(response["Location"]).status_code == 200
