"""The pages: the board (one's own row and, for a section's head, the members'), the header's one-tap
picker, and the memo page (take, list, done) — without JavaScript."""

from __future__ import annotations

import pytest
from django.test import Client

from kiban.core.models import AuditEntry
from kiban.presence.models import PhoneMemo, Presence

pytestmark = pytest.mark.django_db


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_board_lists_the_section_with_names_and_statuses(clerk, section_head, other_clerk):
    Presence.objects.create(
        user=section_head, status="out", destination="県民会館", expires_at="2099-01-01T00:00:00Z"
    )
    html = signed_in(clerk).get("/presence/").content.decode()
    assert html.count('data-presence-row="') == 2
    assert "髙橋 一郎" in html and "佐藤 花子" in html and "渡邊" not in html
    assert "県民会館" in html and ">外出<" in html
    assert "代理で設定" not in html  # a clerk sets only their own status
    assert ">状態を変更<" in html
    # Names are shown, never staff numbers (they stay in attributes and URLs).
    assert ">100001<" not in html and ">100002<" not in html


def test_a_section_head_sets_a_members_status_from_the_board_and_it_is_audited(clerk, section_head):
    client = signed_in(section_head)
    assert "代理で設定" in client.get("/presence/").content.decode()
    response = client.post(
        f"/presence/set/{clerk.username}",
        {"status": "trip", "destination": "総務省", "until": "", "next": "/presence/"},
    )
    assert response.status_code == 302 and response["Location"] == "/presence/"
    assert (Presence.objects.get(user=clerk).status, Presence.objects.get(user=clerk).destination) == (
        "trip",
        "総務省",
    )
    assert AuditEntry.objects.filter(action="presence.set_for", target_id=str(clerk.pk)).count() == 1


def test_an_outsider_cannot_set_someone_elses_status(clerk, other_clerk):
    response = signed_in(other_clerk).post(f"/presence/set/{clerk.username}", {"status": "gone"})
    assert response.status_code == 404
    assert not Presence.objects.filter(user=clerk).exists()


def test_one_tap_in_the_header_sets_my_status_and_returns_to_the_page(clerk):
    client = signed_in(clerk)
    html = client.get("/presence/memos/").content.decode()
    assert 'name="presence" value="remote"' in html
    response = client.post("/presence/me", {"presence": "remote", "next": "/chat/"})
    assert response.status_code == 302 and response["Location"] == "/chat/"
    assert Presence.objects.get(user=clerk).status == "remote"
    client.post("/presence/me", {"presence": "clear", "next": "https://evil.example/"})
    assert Presence.objects.get(user=clerk).status == ""


def test_a_bad_return_time_is_said_in_words_and_nothing_changes(clerk):
    client = signed_in(clerk)
    response = client.post(
        "/presence/me", {"status": "out", "until": "25:99", "next": "/presence/"}, follow=True
    )
    assert "戻り予定は 15:30 のように入力してください。" in response.content.decode()
    assert not Presence.objects.filter(user=clerk).exclude(status="").exists()


def test_memo_page_takes_lists_and_closes_memos(clerk, section_head):
    taker, me = signed_in(section_head), signed_in(clerk)
    bad = taker.post("/presence/memos/new", {"to": clerk.username, "caller_name": "", "caller_phone": "abc"})
    assert bad.status_code == 400 and "相手の氏名を入力してください。" in bad.content.decode()
    assert not PhoneMemo.objects.exists()
    ok = taker.post(
        "/presence/memos/new",
        {
            "to": clerk.username,
            "caller_name": "山本 和夫",
            "caller_phone": "0120-123-456",
            "action": "call_back",
        },
    )
    assert ok.status_code == 302
    memo = PhoneMemo.objects.get()
    html = me.get("/presence/memos/").content.decode()
    assert f'id="memo-{memo.pk}"' in html and 'href="tel:0120123456"' in html
    memo.refresh_from_db()
    assert memo.read_at is not None  # shown to the person it is for
    assert "既読" in taker.get("/presence/memos/").content.decode()
    assert me.post(f"/presence/memos/{memo.pk}/done").status_code == 302
    memo.refresh_from_db()
    assert memo.done_at is not None
    assert f'id="memo-{memo.pk}"' not in me.get("/presence/memos/").content.decode()
