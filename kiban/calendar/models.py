"""The calendar (スケジュール): events, their recurrence exceptions, attendees, reminders and the feed tokens.

Times are stored in UTC (aware datetimes). Recurrence is wall-clock recurrence in Asia/Tokyo (no DST), so a
series is expanded in local time and converted back (kiban.core.recurrence). An all-day event starts at
00:00 Asia/Tokyo of its first day and ends at 00:00 of the day after its last day (exclusive end, as iCalendar).

Window queries (kiban.calendar.queries) split events in two groups so that both use a bounded index range:
- short single events (`long_running` false): `start` lies within [window_start - MAX_SHORT_SPAN, window_end);
- series and long events (`long_running` true): few per person, scanned by `start < window_end` and
  `series_end` (the end of the last occurrence, null when the series never ends).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A single event longer than this is stored as long-running (see the module docstring). One day: a week
# query then reads one day before its start, and multi-day events (出張, 休暇) are few per person.
MAX_SHORT_SPAN = dt.timedelta(days=1)


class Event(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", _("公開")
        PRIVATE = "private", _("非公開")

    class Color(models.TextChoices):
        # A small fixed palette: readable on white, distinguishable for common colour-vision deficiencies.
        BLUE = "blue", _("青")
        GREEN = "green", _("緑")
        ORANGE = "orange", _("橙")
        RED = "red", _("赤")
        PURPLE = "purple", _("紫")
        GRAY = "gray", _("灰")

    # No index of its own: event_owner_window starts with it (and SQLite would otherwise pick the narrower
    # index and read every event of the person instead of the window).
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録者"),
        on_delete=models.CASCADE,
        related_name="organized_events",
        db_index=False,
    )
    title = models.CharField(_("件名"), max_length=200)
    description = models.TextField(_("内容"), blank=True)
    location = models.CharField(_("場所"), max_length=200, blank=True)
    color = models.CharField(_("分類色"), max_length=16, choices=Color.choices, default=Color.BLUE)
    visibility = models.CharField(
        _("公開範囲"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    all_day = models.BooleanField(_("終日"), default=False)
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))
    # RFC 5545 RRULE value (without the "RRULE:" prefix), null for a single event.
    rrule = models.TextField(_("繰り返し"), null=True, blank=True)
    # The zone whose wall clock the series follows: Asia/Tokyo, or the zone of an imported series (a weekly
    # 9:00 meeting in New York stays at 9:00 New York time across its DST change).
    tzid = models.CharField(max_length=64, default="Asia/Tokyo")
    # ISO 8601 datetimes (UTC) of excluded and added occurrence starts.
    exdates = models.JSONField(_("除外日"), default=list, blank=True)
    rdates = models.JSONField(_("追加日"), default=list, blank=True)
    # Precomputed: see the module docstring. For a single event, its end; null for a never-ending series.
    series_end = models.DateTimeField(null=True, blank=True, editable=False)
    long_running = models.BooleanField(default=False, editable=False)
    # The join link of the event's online meeting room (iCalendar CONFERENCE), empty for none: set through
    # kiban.calendar.online, which asks the installed online-meeting module for the room.
    meeting_url = models.CharField(_("Web会議"), max_length=500, blank=True, default="")
    # iCalendar UID (import is idempotent by it) and SEQUENCE (iMIP updates).
    uid = models.CharField(max_length=255)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("予定")
        verbose_name_plural = _("予定")
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "uid"], name="event_uid_unique_per_organizer"),
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="event_end_not_before_start"
            ),
        ]
        indexes = [
            models.Index(fields=["organizer", "long_running", "start"], name="event_owner_window"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule or self.rdates)

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start


class EventException(models.Model):
    """One occurrence of a series changed on its own (moved, retitled) or cancelled.

    `recurrence_id` is the occurrence's original start (RECURRENCE-ID). A cancelled occurrence is also listed
    in the series' `exdates`; the row is kept so that an iMIP CANCEL for it can be sent and re-imports match."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="exceptions")
    recurrence_id = models.DateTimeField()
    cancelled = models.BooleanField(default=False)
    title = models.CharField(_("件名"), max_length=200)
    description = models.TextField(_("内容"), blank=True)
    location = models.CharField(_("場所"), max_length=200, blank=True)
    all_day = models.BooleanField(_("終日"), default=False)
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))

    class Meta:
        verbose_name = _("予定の変更回")
        verbose_name_plural = _("予定の変更回")
        constraints = [
            models.UniqueConstraint(fields=["event", "recurrence_id"], name="exception_unique_occurrence"),
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="exception_end_not_before_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}@{self.recurrence_id:%Y-%m-%dT%H:%M}"


class Attendee(models.Model):
    class Status(models.TextChoices):
        NEEDS_ACTION = "needs-action", _("未回答")
        ACCEPTED = "accepted", _("参加")
        DECLINED = "declined", _("不参加")
        TENTATIVE = "tentative", _("仮")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    # Indexed by attendee_window (see Event.organizer).
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    status = models.CharField(_("回答"), max_length=16, choices=Status.choices, default=Status.NEEDS_ACTION)
    replied_at = models.DateTimeField(null=True, blank=True)
    # Copies of the event's window fields, kept by the actions, so "events I attend in this week" is one
    # bounded index range like the organiser's own (see the module docstring).
    start = models.DateTimeField()
    series_end = models.DateTimeField(null=True, blank=True)
    long_running = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("参加者")
        verbose_name_plural = _("参加者")
        constraints = [models.UniqueConstraint(fields=["event", "staff"], name="attendee_unique_per_event")]
        indexes = [models.Index(fields=["staff", "long_running", "start"], name="attendee_window")]

    def __str__(self) -> str:
        return f"{self.staff_id} → {self.event_id} ({self.status})"


class Reminder(models.Model):
    """A person's reminder for an event (for a series: for each occurrence).

    `next_at` is when the next reminder is due (the next occurrence's start minus `minutes_before`), kept by
    the actions and the reminder job, so the job reads only what is due through one index."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reminders")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    minutes_before = models.PositiveIntegerField(_("何分前"), default=10)
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_occurrence = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("リマインダー")
        verbose_name_plural = _("リマインダー")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "staff", "minutes_before"], name="reminder_unique_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} −{self.minutes_before}min"


class ReminderSent(models.Model):
    """Claims one reminder of one occurrence: the unique row makes it sent exactly once, whatever the
    number of workers."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="sent")
    occurrence_start = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reminder", "occurrence_start"], name="reminder_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.reminder_id}@{self.occurrence_start:%Y-%m-%dT%H:%M}"


class CalendarPolicy(models.Model):
    """Organisation-wide calendar settings, edited by IT administrators (one row)."""

    work_start = models.TimeField(_("始業時刻"), default=dt.time(8, 30))
    work_end = models.TimeField(_("終業時刻"), default=dt.time(17, 15))
    # The meeting-time finder proposes nothing over lunch (an empty start or end: no lunch break).
    lunch_start = models.TimeField(_("昼休み開始"), null=True, blank=True, default=dt.time(12, 0))
    lunch_end = models.TimeField(_("昼休み終了"), null=True, blank=True, default=dt.time(13, 0))

    class Meta:
        verbose_name = _("スケジュール設定")
        verbose_name_plural = _("スケジュール設定")

    def __str__(self) -> str:
        return f"{self.work_start:%H:%M}–{self.work_end:%H:%M}"

    @classmethod
    def current(cls) -> CalendarPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls()


class FeedToken(models.Model):
    """The secret of a person's private iCalendar feed URL. Only its SHA-256 is stored."""

    staff = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("カレンダー配信URL")
        verbose_name_plural = _("カレンダー配信URL")

    def __str__(self) -> str:
        return f"feed of {self.staff_id}"
