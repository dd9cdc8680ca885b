"""Races the database decides: a memo marked done from two devices at once is done once (one audit entry,
one event); a first status set at once by the person and their head leaves one row."""

from __future__ import annotations

import pytest

from kiban.core.models import AuditEntry
from kiban.core.testing import run_at_once as _run_at_once
from kiban.presence import actions
from kiban.presence.models import PhoneMemo, Presence
from kiban.realtime.testing import capture_events


@pytest.mark.django_db(transaction=True)
def test_done_from_two_devices_at_once_is_done_once(clerk, section_head):
    memo = actions.do_take_memo(section_head, clerk, caller_name="山本 和夫", caller_phone="0120-123-456")

    def done():
        actions.do_mark_done(clerk, actions.access_memo(clerk, memo.pk))

    with capture_events() as events:
        errors = _run_at_once([done, done, done])
    assert errors == []
    assert PhoneMemo.objects.get(pk=memo.pk).done_at is not None
    assert AuditEntry.objects.filter(action="presence.memo_done").count() == 1
    assert len(events.of_type("phone_memo.updated")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_first_status_set_at_once_by_the_person_and_the_head_leaves_one_row(clerk, section_head):
    errors = _run_at_once(
        [
            lambda: actions.do_set_presence(clerk, clerk, status="remote"),
            lambda: actions.do_set_presence(section_head, clerk, status="out", destination="県民会館"),
        ]
    )
    assert errors == []
    row = Presence.objects.get(user=clerk)
    assert row.status in {"remote", "out"}
    assert (row.status == "out") == (row.destination == "県民会館") == (row.set_by_id == section_head.pk)
