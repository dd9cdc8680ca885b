"""The portal (/ and GET /api/v1/portal): each module's section, only what is the person's, and a failing
module never takes the page down."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiban.booking.models import Booking
from kiban.booking.tests.factories import CarFactory, ResourceFactory
from kiban.calendar.tests.factories import make_event
from kiban.chat.tests.factories import make_dm, post
from kiban.core import modules
from kiban.core.recurrence import TOKYO
from kiban.integrations.models import ApprovalCount, ExternalSystem
from kiban.notifications.actions import notify

J = "application/json"


def at(hour: int, minute: int = 0) -> dt.datetime:
    today = timezone.localdate()
    return dt.datetime(today.year, today.month, today.day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def day_of_clerk(
    client, clerk, section_head, other_clerk, it_admin, org_tree, django_capture_on_commit_callbacks
):
    """佐藤 (clerk, 人事課) has: two events today (one her own private one), an invitation to the head's
    private meeting, a car she drives today, an unread dm with a mention, a notification, a survey to
    answer, an inquiry to her section, and counts in two external systems."""
    make_event(clerk, at(9), at(10), title="朝礼")
    make_event(clerk, at(13), at(14), title="健康診断", visibility="private")
    make_event(section_head, at(15), at(16), title="人事評価面談", visibility="private", attendees=[clerk])
    make_event(section_head, at(10), at(11), title="課長の私用", visibility="private")
    make_event(other_clerk, at(11), at(12), title="道路課の打合せ")
    make_event(clerk, at(9) + dt.timedelta(days=1), at(10) + dt.timedelta(days=1), title="明日の会議")
    car = CarFactory(name="公用車1号")
    Booking.objects.create(
        resource=car, start=at(13), end=at(17), purpose="現地調査", destination="○○市役所",
        booked_by=section_head, driver=clerk,
    )  # fmt: skip
    room = ResourceFactory(name="第1会議室")
    Booking.objects.create(
        resource=room, start=at(9), end=at(10), purpose="道路課会議", booked_by=other_clerk
    )
    with django_capture_on_commit_callbacks(execute=True):
        conv = make_dm(section_head, clerk)
        post(section_head, conv, "@100002 明日の資料をお願いします")
        post(section_head, conv, "よろしく")
        notify([clerk.pk], kind="test.note", title="研修のお知らせ", url="/")
        client.force_login(section_head)
        survey = client.post(
            "/api/v1/surveys",
            {
                "title": "業務ツール利用アンケート",
                "questions": [
                    {
                        "kind": "single",
                        "text": "使っていますか",
                        "choices": ["はい", "いいえ"],
                        "required": True,
                    }
                ],
                "audience": {"departments": [org_tree["jinji"].pk]},
            },
            content_type=J,
        )
        assert survey.status_code == 201, survey.content
        client.force_login(it_admin)
        inquiry = client.post(
            "/api/v1/inquiries",
            {
                "title": "端末台数調査",
                "body": "台数を回答してください。",
                "departments": [org_tree["jinji"].pk],
            },
            content_type=J,
        )
        assert inquiry.status_code == 201, inquiry.content
        other_inquiry = client.post(
            "/api/v1/inquiries",
            {"title": "道路台帳の照会", "body": "回答してください。", "departments": [org_tree["douro"].pk]},
            content_type=J,
        )
        assert other_inquiry.status_code == 201
    bunsho = ExternalSystem.objects.create(
        name="bunsho", label="文書管理システム", url="https://bunsho.example.lg.jp/", scopes=["approval_counts"],
        token_hash="a" * 64, token_prefix="kbi_a",
    )  # fmt: skip
    zaimu = ExternalSystem.objects.create(
        name="zaimu", label="財務会計システム", url="", scopes=["approval_counts"], token_hash="b" * 64,
        token_prefix="kbi_b",
    )  # fmt: skip
    ExternalSystem.objects.create(
        name="off", label="止めたシステム", scopes=["approval_counts"], token_hash="c" * 64, token_prefix="kbi_c",
        enabled=False,
    )  # fmt: skip
    ApprovalCount.objects.create(system=bunsho, staff=clerk, pending=4)
    ApprovalCount.objects.create(system=zaimu, staff=clerk, pending=2)
    ApprovalCount.objects.create(system=bunsho, staff=other_clerk, pending=9)
    client.force_login(clerk)
    return {"conversation": conv, "survey": survey.json(), "inquiry": inquiry.json()}


def test_api_answers_each_section_with_only_what_is_the_persons(client, clerk, day_of_clerk):
    response = client.get("/api/v1/portal")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"today", "order", "panels", "counts"}
    assert ours(body["order"]) == ["approvals", "chat", "notifications", "calendar", "booking", "surveys"]
    assert list(body["panels"]) == body["order"]
    today = timezone.localdate()
    assert body["today"]["date"] == today.isoformat()
    assert body["today"]["wareki"].startswith("令和")

    approvals = body["panels"]["approvals"]
    assert approvals["title"] == "決裁件数"
    assert approvals["data"] == {
        "total": 6,
        "systems": [
            {
                "name": "bunsho",
                "label": "文書管理システム",
                "url": "https://bunsho.example.lg.jp/",
                "pending": 4,
            },
            {"name": "zaimu", "label": "財務会計システム", "url": "", "pending": 2},
        ],
    }

    calendar = body["panels"]["calendar"]["data"]
    assert [(e["title"], e["private"]) for e in calendar["events"]] == [
        ("朝礼", False),
        ("健康診断", True),
        ("人事評価面談", True),
    ]
    assert calendar["events"][0]["start"] == at(9).isoformat()
    assert body["counts"]["calendar"] == 3
    text = json.dumps(body, ensure_ascii=False)
    assert "課長の私用" not in text and "道路課の打合せ" not in text and "明日の会議" not in text

    booking = body["panels"]["booking"]["data"]
    assert [(b["resource"], b["kind"], b["driving"], b["destination"]) for b in booking["bookings"]] == [
        ("公用車1号", "car", True, "○○市役所")
    ]
    assert booking["pending_approvals"] == 0
    assert "道路課会議" not in text

    chat = body["panels"]["chat"]["data"]
    assert chat["conversations"] == 1 and chat["messages"] == 2 and chat["mentions"] == 1
    assert [(c["title"], c["unread"], c["mentions"]) for c in chat["latest"]] == [("髙橋 一郎", 2, 1)]

    notifications = body["panels"]["notifications"]["data"]
    assert "研修のお知らせ" in [n["title"] for n in notifications["latest"]]
    assert notifications["unread"] == body["counts"]["notifications"] >= 1

    surveys = body["panels"]["surveys"]["data"]
    assert [s["title"] for s in surveys["surveys"]] == ["業務ツール利用アンケート"]
    assert [i["title"] for i in surveys["inquiries"]] == ["端末台数調査"]
    assert "道路台帳の照会" not in text
    assert "止めたシステム" not in text


def test_another_person_sees_their_own_portal_not_the_clerks(client, other_clerk, day_of_clerk):
    client.force_login(other_clerk)
    body = client.get("/api/v1/portal").json()
    assert body["panels"]["approvals"]["data"]["total"] == 9
    assert [e["title"] for e in body["panels"]["calendar"]["data"]["events"]] == ["道路課の打合せ"]
    assert [i["title"] for i in body["panels"]["surveys"]["data"]["inquiries"]] == ["道路台帳の照会"]
    assert body["panels"]["surveys"]["data"]["surveys"] == []
    assert [b["resource"] for b in body["panels"]["booking"]["data"]["bookings"]] == ["第1会議室"]
    assert "chat" not in body["counts"]
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("健康診断", "人事評価面談", "課長の私用", "公用車1号", "研修のお知らせ", "端末台数調査"):
        assert secret not in text


def test_page_shows_the_sections_in_japanese_with_wareki_and_no_usernames(
    client, clerk, section_head, day_of_clerk
):
    html = client.get("/").content.decode()
    assert "決裁件数" in html and "今日の予定" in html and "未読のチャット" in html
    assert "https://bunsho.example.lg.jp/" in html and "文書管理システム" in html
    assert "健康診断" in html and "課長の私用" not in html
    assert "公用車1号" in html and "○○市役所" in html
    assert "髙橋 一郎" in html
    assert "端末台数調査" in html and "道路台帳の照会" not in html
    assert "令和" in html
    shown = re.sub(r'="[^"]*"', "", html)  # what a person reads: not the addresses in attributes
    assert section_head.username not in shown and clerk.username not in shown
    assert 'style="' not in html and "<script>" not in html


def test_the_portal_needs_a_sign_in(client):
    assert client.get("/api/v1/portal").status_code == 401
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login")


# The panels these tests set up; other modules (bulletin, safety, …) add their own sections beside them.
OURS = {"approvals", "chat", "notifications", "calendar", "booking", "surveys"}


def ours(order):
    return [key for key in order if key in OURS]


def explode(request):
    raise RuntimeError("the module's database is down")


def test_a_failing_provider_is_logged_and_left_out_and_the_rest_still_shows(
    client, clerk, day_of_clerk, monkeypatch, caplog
):
    real = modules.portal_panels()
    broken = modules.PortalPanel("broken", f"{__name__}.explode", order=1)
    monkeypatch.setattr(modules, "portal_panels", lambda: [broken, *real])
    with caplog.at_level(logging.ERROR, logger="kiban.portal"):
        response = client.get("/api/v1/portal")
        page = client.get("/")
    assert response.status_code == 200 and page.status_code == 200
    body = response.json()
    assert "broken" not in body["panels"]
    assert ours(body["order"]) == ["approvals", "chat", "notifications", "calendar", "booking", "surveys"]
    assert "決裁件数" in page.content.decode()
    failures = [r for r in caplog.records if "broken" in r.getMessage()]
    assert len(failures) == 2 and all(r.exc_info for r in failures)


def bad_template(request):
    return modules.PortalSection(title="壊れた", template="portal/does-not-exist.html", data=None)


def test_a_section_whose_template_fails_is_left_out_of_the_page(client, clerk, day_of_clerk, monkeypatch):
    real = modules.portal_panels()
    monkeypatch.setattr(
        modules, "portal_panels", lambda: [modules.PortalPanel("bad", f"{__name__}.bad_template"), *real]
    )
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "壊れた" not in html and "今日の予定" in html


def test_portal_api_is_a_handful_of_queries(client, clerk, day_of_clerk):
    client.get("/api/v1/portal")  # warm caches (closed days, policy rows)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/portal").status_code == 200
    # Savepoints exist only because the test runs inside a transaction (kiban.portal.sections._call).
    real = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    # 20 for the panels of this test's modules, 5 for bulletin's and safety's (their own tests budget them).
    assert len(real) <= 25, "\n".join(real)


def test_sections_with_nothing_to_show_are_left_out(client, other_clerk):
    client.force_login(other_clerk)
    body = client.get("/api/v1/portal").json()
    assert ours(body["order"]) == ["chat", "calendar"]
    assert body["panels"]["calendar"]["data"]["events"] == []
    html = client.get("/").content.decode()
    assert "今日の予定はありません。" in html


def test_today_is_written_in_wareki_with_its_holiday_in_the_head_and_the_schedule(client, clerk, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 23))
    client.force_login(clerk)
    body = client.get("/api/v1/portal").json()
    assert body["today"]["date"] == "2026-11-23"
    assert body["today"]["wareki"] == "令和8年11月23日(月)"
    assert body["today"]["holiday"] == "勤労感謝の日"
    assert body["panels"]["calendar"]["data"]["holiday"] == "勤労感謝の日"
    assert [h["date"] for h in body["today"]["upcoming_holidays"]] == [
        "2026-12-29",
        "2026-12-30",
        "2026-12-31",
    ]
    html = client.get("/").content.decode()
    assert "令和8年11月23日(月)" in html and "勤労感謝の日" in html


def test_an_approver_sees_how_many_bookings_wait_for_the_section(client, section_head, other_clerk, org_tree):
    room = ResourceFactory(name="人事課の応接室", department=org_tree["jinji"], policy="approval")
    later = timezone.now() + dt.timedelta(days=3)
    Booking.objects.create(resource=room, start=later, end=later + dt.timedelta(hours=1), booked_by=other_clerk,
                           status="pending", purpose="面談")  # fmt: skip
    client.force_login(section_head)
    booking = client.get("/api/v1/portal").json()["panels"]["booking"]["data"]
    assert booking["bookings"] == [] and booking["pending_approvals"] == 1
    assert booking["approvals_url"] == "/booking/approvals"
    client.force_login(other_clerk)
    assert "booking" not in client.get("/api/v1/portal").json()["panels"]
