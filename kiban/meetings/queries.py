"""Reads about meetings used by several callers: attendance for the organiser, usage statistics, 開催中."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from kiban.meetings.models import STALE_AFTER, ChatLine, Meeting, Participant


def present(meeting_id: int, now: dt.datetime | None = None):
    """The peers in the room now: entered, not left, and heard from within STALE_AFTER."""
    now = now or timezone.now()
    return Participant.objects.filter(
        meeting_id=meeting_id, left_at__isnull=True, last_seen_at__gte=now - STALE_AFTER
    ).order_by("joined_at", "id")


@dataclass(frozen=True)
class AttendanceRow:
    name: str
    guest: bool
    joined_at: dt.datetime
    left_at: dt.datetime | None  # None: still in the room
    seconds: int


def attendance(meeting: Meeting, *, now: dt.datetime | None = None) -> list[AttendanceRow]:
    """Every entry into the room, in order: who, when, how long (an entry still open counts up to now)."""
    now = now or timezone.now()
    rows = []
    for p in Participant.objects.filter(meeting=meeting).order_by("joined_at", "id"):
        gone = p.left_at is not None or p.last_seen_at < now - STALE_AFTER
        end = p.left_at or (p.last_seen_at if gone else now)
        rows.append(
            AttendanceRow(
                name=p.name,
                guest=p.guest_id is not None,
                joined_at=p.joined_at,
                left_at=end if gone else None,
                seconds=max(0, int((end - p.joined_at).total_seconds())),
            )
        )
    return rows


def live_counts(meeting_ids, now: dt.datetime | None = None) -> dict[int, int]:
    """People in each room now (0 for an empty one): one query."""
    now = now or timezone.now()
    counts = dict.fromkeys(meeting_ids, 0)
    rows = (
        Participant.objects.filter(
            meeting_id__in=list(counts), left_at__isnull=True, last_seen_at__gte=now - STALE_AFTER
        )
        .values("meeting_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["meeting_id"]] = row["n"]
    return counts


@dataclass(frozen=True)
class MeetingUsage:
    meetings: int  # rooms someone entered in the period
    entries: int  # entries into rooms (a person on two devices counts twice)
    people: int  # distinct staff who entered a room
    guests: int  # entries by guests
    minutes: int  # time spent in rooms, all entries together


def usage(start: dt.datetime, end: dt.datetime) -> MeetingUsage:
    """Meetings held in [start, end) for the usage statistics (利用状況): a meeting is held when someone
    entered its room in the period. One aggregate query plus one for the time spent."""
    entries = Participant.objects.filter(joined_at__gte=start, joined_at__lt=end)
    totals = entries.aggregate(
        meetings=Count("meeting_id", distinct=True),
        entries=Count("id"),
        people=Count("staff_id", distinct=True),
        guests=Count("id", filter=Q(guest__isnull=False)),
    )
    seconds = 0
    for joined, left, seen in entries.values_list("joined_at", "left_at", "last_seen_at").iterator():
        seconds += max(0, int(((left or seen) - joined).total_seconds()))
    return MeetingUsage(
        meetings=totals["meetings"],
        entries=totals["entries"],
        people=totals["people"],
        guests=totals["guests"],
        minutes=seconds // 60,
    )


def recent_chat(meeting: Meeting, limit: int = 50) -> list[ChatLine]:
    """The meeting chat's last lines, oldest first (a page that enters shows them)."""
    lines = list(
        ChatLine.objects.filter(meeting=meeting).select_related("participant").order_by("-id")[:limit]
    )
    return lines[::-1]
