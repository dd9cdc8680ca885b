"""iMIP invitations, updates and cancellations received by a real SMTP server and parsed back."""

from __future__ import annotations

import pytest

from kiban.calendar import actions
from kiban.calendar.models import Event
from kiban.core.jobs import run_pending_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(smtp_server):
    return smtp_server


def _calendar_of(message):
    import icalendar

    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part, icalendar.Calendar.from_ical(part.get_payload(decode=True))


def _create(organizer, attendees, capture):
    with capture(execute=True):
        return actions.do_create_event(
            organizer,
            {
                "title": "来年度予算ヒアリング",
                "start": "2026-12-03T13:30:00+09:00",
                "end": "2026-12-03T15:00:00+09:00",
                "location": "本庁舎5階 第1会議室",
                "attendees": [p.username for p in attendees],
            },
        )


def test_invitation_is_a_utf8_request_with_organizer_attendees_and_sequence(
    inbox, section_head, clerk, other_clerk, django_capture_on_commit_callbacks
):
    event = _create(section_head, [clerk, other_clerk], django_capture_on_commit_callbacks)
    assert run_pending_jobs() == 2
    assert sorted(m["To"] for m in inbox.messages) == sorted([clerk.email, other_clerk.email])
    message = next(m for m in inbox.messages if m["To"] == clerk.email)
    assert message["Subject"] == "招待: 来年度予算ヒアリング"
    part, cal = _calendar_of(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    assert str(cal["METHOD"]) == "REQUEST"
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["UID"]) == event.uid
    assert vevent["SEQUENCE"] == 0
    assert str(vevent["SUMMARY"]) == "来年度予算ヒアリング"
    assert str(vevent["LOCATION"]) == "本庁舎5階 第1会議室"
    assert str(vevent["ORGANIZER"]) == f"mailto:{section_head.email}"
    attendees = sorted(str(a) for a in vevent["ATTENDEE"])
    assert attendees == sorted([f"mailto:{clerk.email}", f"mailto:{other_clerk.email}"])
    assert {a.params["PARTSTAT"] for a in vevent["ATTENDEE"]} == {"NEEDS-ACTION"}
    assert vevent.decoded("DTSTART").isoformat() == "2026-12-03T13:30:00+09:00"


def test_update_raises_the_sequence_and_cancellation_says_cancel(
    inbox, section_head, clerk, django_capture_on_commit_callbacks
):
    event = _create(section_head, [clerk], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_event(section_head, event, {"start": "2026-12-04T10:00:00+09:00"})
    event.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_delete_event(section_head, event)
    assert run_pending_jobs() == 3
    subjects = [m["Subject"] for m in inbox.messages]
    assert sorted(subjects) == sorted(
        ["招待: 来年度予算ヒアリング", "更新: 来年度予算ヒアリング", "取消: 来年度予算ヒアリング"]
    )
    by_subject = {m["Subject"]: _calendar_of(m)[1] for m in inbox.messages}
    update = by_subject["更新: 来年度予算ヒアリング"]
    assert str(update["METHOD"]) == "REQUEST"
    assert update.walk("VEVENT")[0]["SEQUENCE"] == 1
    assert update.walk("VEVENT")[0].decoded("DTSTART").isoformat() == "2026-12-04T10:00:00+09:00"
    cancel = by_subject["取消: 来年度予算ヒアリング"]
    assert str(cancel["METHOD"]) == "CANCEL"
    assert cancel.walk("VEVENT")[0]["SEQUENCE"] == 2
    assert str(cancel.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert str(cancel.walk("VEVENT")[0]["UID"]) == event.uid


def test_removed_attendee_gets_a_cancellation(
    inbox, section_head, clerk, other_clerk, django_capture_on_commit_callbacks
):
    event = _create(section_head, [clerk, other_clerk], django_capture_on_commit_callbacks)
    run_pending_jobs()
    inbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_event(section_head, event, {"attendees": [clerk.username]})
    run_pending_jobs()
    got = sorted((m["To"], m["Subject"]) for m in inbox.messages)
    assert got == sorted(
        [(clerk.email, "更新: 来年度予算ヒアリング"), (other_clerk.email, "取消: 来年度予算ヒアリング")]
    )


def test_refused_change_sends_no_mail(inbox, section_head, clerk, django_capture_on_commit_callbacks):
    event = _create(section_head, [clerk], django_capture_on_commit_callbacks)
    run_pending_jobs()
    inbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="end"):
        actions.do_update_event(section_head, event, {"end": "2026-12-01T00:00:00+09:00"})
    assert run_pending_jobs() == 0
    assert inbox.messages == []
    assert Event.objects.get(pk=event.pk).sequence == 0


def test_the_invitation_email_and_notification_give_the_time_in_wareki(
    inbox, section_head, clerk, django_capture_on_commit_callbacks
):
    from kiban.notifications.models import Notification

    _create(section_head, [clerk], django_capture_on_commit_callbacks)
    run_pending_jobs()
    (message,) = inbox.messages
    (text,) = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    assert "日時: 令和8年12月3日(木) 13:30–15:00" in text.get_payload(decode=True).decode()
    (note,) = Notification.objects.filter(recipient=clerk, kind="calendar.invitation")
    assert note.body == "令和8年12月3日(木) 13:30 本庁舎5階 第1会議室"
