"""The answer page works without JavaScript (a plain form POST), weighs under 30 KB with its stylesheet, and
shows the current answer so it can be corrected; the dashboard, the start form and the templates page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from kiban.safety import actions
from kiban.safety.models import SafetyCheck, SafetyTemplate, Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def check(section_head, clerk, other_clerk, it_admin):
    return actions.do_start_check(it_admin, title="震度6弱の地震", message="身の安全を確保してください。")


def test_answer_page_without_javascript_under_30_kb_with_its_css(clerk, check):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    page = client.get(f"/safety/{check.pk}/")
    assert page.status_code == 200
    html = page.content
    assert b"<script" not in html
    assert b"style=" not in html
    sheets = re.findall(rb'<link rel="stylesheet" href="/static/([^"]+)"', html)
    assert sheets == [b"kiban/safety/answer.css"]
    css = Path(finders.find("kiban/safety/answer.css")).read_bytes()
    assert len(html) + len(css) < 30 * 1024
    assert b"@font-face" not in css and b"url(" not in css
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()

    # Without the CSRF token the POST is refused and nothing is stored.
    assert client.post(f"/safety/{check.pk}/", {"status": "safe", "can_work": "1"}).status_code == 403
    assert Target.objects.get(safety_check=check, staff=clerk).status == ""

    done = client.post(f"/safety/{check.pk}/", {"csrfmiddlewaretoken": token, "status": "minor", "can_work": "0",
                                                "comment": "足を捻挫"})  # fmt: skip
    assert done.status_code == 302 and done["Location"] == f"/safety/{check.pk}/?done=1"
    row = Target.objects.get(safety_check=check, staff=clerk)
    assert (row.status, row.can_work, row.comment, row.answered_by_id) == (
        "minor",
        False,
        "足を捻挫",
        clerk.pk,
    )

    again = client.get(done["Location"]).content.decode()
    assert "回答しました" in again
    assert 'value="minor" required checked' in again and 'value="0" required checked' in again
    assert "足を捻挫" in again and "回答を修正" in again
    client.post(f"/safety/{check.pk}/", {"csrfmiddlewaretoken": token, "status": "safe", "can_work": "1"})
    assert Target.objects.get(safety_check=check, staff=clerk).status == "safe"


def test_answer_page_shows_a_missing_choice_as_an_error(client, clerk, check):
    client.force_login(clerk)
    page = client.post(f"/safety/{check.pk}/", {"status": "safe"})
    assert page.status_code == 200
    assert "出勤できるかどうかを選んでください" in page.content.decode()
    assert Target.objects.get(safety_check=check, staff=clerk).status == ""


def test_closed_check_page_is_readable_and_takes_no_answer(client, clerk, it_admin, check):
    actions.do_close(it_admin, check)
    client.force_login(clerk)
    page = client.get(f"/safety/{check.pk}/").content.decode()
    assert "締め切られました" in page and "<form" not in page
    posted = client.post(f"/safety/{check.pk}/", {"status": "safe", "can_work": "1"})
    assert "締め切られました" in posted.content.decode()
    assert Target.objects.get(safety_check=check, staff=clerk).status == ""


def test_section_head_answers_for_a_member_from_the_dashboard(
    client, section_head, clerk, other_clerk, check
):
    client.force_login(section_head)
    board = client.get(f"/safety/{check.pk}/dashboard").content.decode()
    assert "佐藤" in board and "2102" in board  # name and extension of the member who has not answered
    assert "渡邊" not in board  # another department's member is not on this head's dashboard
    assert "100002" not in board  # names, not staff numbers
    row = Target.objects.get(safety_check=check, staff=clerk)
    assert f"?for={row.pk}" in board
    page = client.get(f"/safety/{check.pk}/?for={row.pk}").content.decode()
    assert "佐藤 花子 さんの代理回答" in page or "佐藤花子 さんの代理回答" in page
    client.post(f"/safety/{check.pk}/", {"for": row.pk, "status": "safe", "can_work": "1"})
    row.refresh_from_db()
    assert (row.status, row.answered_by_id) == ("safe", section_head.pk)
    other_row = Target.objects.get(safety_check=check, staff=other_clerk)
    assert client.get(f"/safety/{check.pk}/?for={other_row.pk}").status_code == 404


def test_a_clerk_has_no_dashboard_and_no_start_page(client, clerk, check):
    client.force_login(clerk)
    assert client.get(f"/safety/{check.pk}/dashboard").status_code == 404
    assert client.get("/safety/new").status_code == 404
    assert client.get("/safety/templates").status_code == 404
    index = client.get("/safety/").content.decode()
    assert "震度6弱の地震" in index and "回答してください" in index


def test_administrator_starts_from_a_template_in_one_step(client, it_admin, clerk):
    template = SafetyTemplate.objects.create(name="震度5強以上の地震", title="地震発生に伴う安否確認")
    client.force_login(it_admin)
    response = client.post("/safety/templates", {"id": template.pk, "action": "start"})
    assert response.status_code == 302
    check = SafetyCheck.objects.get()
    assert check.title == "地震発生に伴う安否確認" and check.template_id == template.pk
    assert response["Location"] == f"/safety/{check.pk}/dashboard"
    assert Target.objects.filter(safety_check=check).count() == 2


def test_portal_panel_lists_open_checks_i_have_not_answered(rf, clerk, check):
    from kiban.safety.portal import panel

    request = rf.get("/")
    request.user = clerk
    section = panel(request)
    assert section.count == 1 and section.data.checks[0].title == "震度6弱の地震"
    actions.do_answer(clerk, check, status="safe", can_work=True)
    assert panel(request) is None
