"""The calendar part of `kiban demo`: every person has events over this month and the next."""

from __future__ import annotations

import datetime as dt

import pytest

from kiban.calendar.models import Attendee, Event
from kiban.calendar.queries import events_for
from kiban.core.recurrence import TOKYO
from kiban.org.demo import load_demo

pytestmark = pytest.mark.django_db


def test_demo_gives_every_person_public_private_single_and_recurring_events():
    from kiban.accounts.models import Staff

    counts = load_demo(staff=120)
    assert counts["events"] == Event.objects.count()
    today = dt.datetime.now(tz=TOKYO).date()
    start = dt.datetime.combine(today.replace(day=1), dt.time(), tzinfo=TOKYO)
    end = start + dt.timedelta(days=62)
    people = list(Staff.objects.filter(memberships__is_primary=True, is_active=True))
    assert len(people) >= 100
    for person in people:
        occurrences = events_for([person.pk], start, end, person)
        assert any(o.event.is_recurring for o in occurrences), person
    assert Event.objects.filter(visibility="private").exists()
    assert Event.objects.filter(all_day=True, title="年次休暇").exists()
    assert Event.objects.filter(rrule__startswith="FREQ=WEEKLY").count() >= 2
    assert Attendee.objects.count() == counts["attendees"]
    assert counts["event_rooms"] >= 1
