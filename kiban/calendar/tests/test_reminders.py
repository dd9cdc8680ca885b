"""Reminders: one notification per person per occurrence, exactly once, also with two workers racing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from kiban.calendar import actions
from kiban.calendar.jobs import send_reminders_due
from kiban.calendar.models import Reminder, ReminderSent
from kiban.calendar.tests.factories import tokyo
from kiban.notifications.models import Notification


def _series(person, **extra):
    return actions.do_create_event(
        person,
        {
            "title": "朝礼",
            "start": "2030-01-07T09:00:00+09:00",
            "end": "2030-01-07T09:15:00+09:00",
            "rrule": "FREQ=WEEKLY;BYDAY=MO",
            "reminders": [10],
            **extra,
        },
    )


@pytest.mark.django_db
def test_reminder_is_sent_once_per_occurrence_and_moves_to_the_next(clerk):
    event = _series(clerk)
    reminder = Reminder.objects.get(event=event)
    assert reminder.next_at == tokyo(2030, 1, 7, 8, 50)
    assert send_reminders_due(tokyo(2030, 1, 7, 8, 49)) == 0
    assert send_reminders_due(tokyo(2030, 1, 7, 8, 50)) == 1
    assert send_reminders_due(tokyo(2030, 1, 7, 8, 51)) == 0
    (note,) = Notification.objects.filter(recipient=clerk)
    assert (note.kind, note.title) == ("calendar.reminder", "09:00 から「朝礼」")
    reminder.refresh_from_db()
    assert reminder.next_occurrence == tokyo(2030, 1, 14, 9)
    assert send_reminders_due(tokyo(2030, 1, 14, 8, 55)) == 1
    assert Notification.objects.filter(recipient=clerk).count() == 2


@pytest.mark.django_db
def test_excluded_occurrence_is_not_reminded(clerk):
    event = _series(clerk, exdates=["2030-01-07T09:00:00+09:00"])
    assert Reminder.objects.get(event=event).next_occurrence == tokyo(2030, 1, 14, 9)


@pytest.mark.django_db
def test_declined_attendee_gets_no_reminder(section_head, clerk):
    event = _series(section_head, attendees=[clerk.username])
    actions.do_set_reminders(clerk, event, [5])
    actions.do_reply(clerk, event.pk, "declined")
    assert send_reminders_due(tokyo(2030, 1, 7, 8, 59)) == 1
    assert list(
        Notification.objects.filter(kind="calendar.reminder").values_list("recipient", flat=True)
    ) == [section_head.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_a_reminder_once(clerk):
    _series(clerk)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def work():
        try:
            barrier.wait()
            results.append(send_reminders_due(tokyo(2030, 1, 7, 8, 50)))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    assert ReminderSent.objects.count() == 1
    assert Notification.objects.filter(kind="calendar.reminder").count() == 1


def test_reminder_minutes_are_validated():
    from django.core.exceptions import ValidationError

    from kiban.calendar.fields import clean_reminders

    with pytest.raises(ValidationError):
        clean_reminders([60 * 24 * 29])
    assert clean_reminders([10, 0, 10]) == [0, 10]
    assert dt.timedelta(minutes=clean_reminders([15])[0]) == dt.timedelta(minutes=15)


@pytest.mark.django_db
def test_attendee_sets_own_reminders_through_the_api_and_outsider_cannot(
    api_as, section_head, clerk, other_clerk
):
    event = _series(section_head, attendees=[clerk.username])
    url = f"/api/v1/events/{event.pk}/reminders"
    response = api_as(clerk).put(url, {"minutes": [30, 5]}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"minutes": [5, 30]}
    assert sorted(Reminder.objects.filter(staff=clerk).values_list("minutes_before", flat=True)) == [5, 30]
    refused = api_as(other_clerk).put(url, {"minutes": [5]}, content_type="application/json")
    assert refused.status_code == 404
    assert not Reminder.objects.filter(staff=other_clerk).exists()
    bad = api_as(clerk).put(url, {"minutes": [99999]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("reminders:")
