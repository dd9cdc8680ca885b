"""Reminders (リマインダー): a notification before each occurrence, sent exactly once."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.calendar.actions import next_occurrence
from kiban.calendar.models import Attendee, Reminder, ReminderSent
from kiban.core.jobs import job
from kiban.core.wareki import wareki_datetime
from kiban.notifications.actions import notify

BATCH = 500
# A reminder whose time passed while no worker ran is still sent if its occurrence has not started
# long ago; older ones are skipped (a reminder for yesterday's meeting helps nobody).
STALE_AFTER = dt.timedelta(hours=1)


@job(retries=3, every=dt.timedelta(minutes=1))
def send_due_reminders() -> int:
    """Send the reminders that are due. Each (reminder, occurrence) is claimed by inserting its
    ReminderSent row: the unique constraint lets exactly one worker (or run) send it."""
    return send_reminders_due(timezone.now())


def send_reminders_due(now: dt.datetime) -> int:

    sent = 0
    due = list(
        Reminder.objects.filter(next_at__lte=now, next_occurrence__isnull=False)
        .select_related("event")
        .order_by("next_at")[:BATCH]
    )
    for reminder in due:
        event = reminder.event
        occurrence = reminder.next_occurrence
        with transaction.atomic():
            still_in = (
                event.organizer_id == reminder.staff_id
                or Attendee.objects.filter(event=event, staff_id=reminder.staff_id)
                .exclude(status=Attendee.Status.DECLINED)
                .exists()
            )
            fresh = occurrence > now - STALE_AFTER
            if still_in and fresh:
                try:
                    with transaction.atomic():
                        ReminderSent.objects.create(reminder=reminder, occurrence_start=occurrence)
                except IntegrityError:
                    pass  # another worker sent it
                else:
                    local = timezone.localtime(occurrence)
                    notify(
                        [reminder.staff_id],
                        kind="calendar.reminder",
                        title=_("%(time)s から「%(title)s」")
                        % {"time": f"{local:%H:%M}", "title": event.title},
                        body=f"{wareki_datetime(local, weekday=True)} {event.location}".strip(),
                        url=f"/calendar/events/{event.pk}/",
                    )
                    sent += 1
            upcoming = next_occurrence(event, occurrence)
            Reminder.objects.filter(pk=reminder.pk, next_occurrence=occurrence).update(
                next_occurrence=upcoming[0] if upcoming else None,
                next_at=(upcoming[0] - dt.timedelta(minutes=reminder.minutes_before)) if upcoming else None,
            )
    return sent
