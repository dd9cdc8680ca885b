"""Who is where now: `presence_of(user_ids)` computes each person's presence at read time.

Order of precedence, per person:

1. a status set by hand (`Presence.status`) until its return time (or the end of that day when none was
   given) — "a manual status wins until its return time";
2. the calendar (`kiban.calendar.queries.occurrences_at`, two indexed window reads for everyone asked):
   an all-day leave event → 休暇, a business trip → 出張, any other timed event they organise or accepted
   → 会議中 until its end, with its place as the destination and its title as the note — for a private
   event neither (予定あり), whoever asks, so one answer serves every viewer and every event;
3. automatic: from `KIBAN_PRESENCE_GONE_HOUR` until 5:00, 退庁 unless a page of theirs was open in the last
   half hour (`kiban.realtime.presence.last_seen`); otherwise 在席.

Cost: for N people, one read of the manual rows, the calendar's window reads, one read of `last_seen`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from kiban.calendar.queries import occurrences_at
from kiban.presence.models import Presence, Source, Status
from kiban.presence.schemas import PresenceOut
from kiban.realtime.presence import last_seen

ACTIVE_WITHIN = dt.timedelta(minutes=30)
DAY_STARTS_AT = 5  # hours, Asia/Tokyo: the 退庁 period ends here


def is_after_hours(now: dt.datetime) -> bool:
    hour = timezone.localtime(now).hour
    return hour >= settings.KIBAN_PRESENCE_GONE_HOUR or hour < DAY_STARTS_AT


def end_of_day(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def manual_statuses(user_ids: Iterable[int], now: dt.datetime) -> dict[int, Presence]:
    return {
        row.user_id: row
        for row in Presence.objects.filter(user_id__in=list(user_ids), expires_at__gt=now).exclude(status="")
    }


def presence_of(people: Iterable, now: dt.datetime | None = None) -> dict[int, PresenceOut]:
    """`{user id: PresenceOut}` for `people` (objects with `pk` and `username`), in the order given."""
    now = now or timezone.now()
    people = list({person.pk: person for person in people}.values())
    ids = [person.pk for person in people]
    manual = manual_statuses(ids, now)
    rest = [uid for uid in ids if uid not in manual]
    usernames = {person.pk: person.username for person in people}
    calendar = {
        uid: derived
        for uid, occurrences in (occurrences_at(rest, now) if rest else {}).items()
        if (derived := from_calendar(usernames[uid], occurrences)) is not None
    }
    idle = [uid for uid in rest if uid not in calendar]
    after_hours = is_after_hours(now)
    seen = last_seen(idle) if idle and after_hours else {}
    result: dict[int, PresenceOut] = {}
    for person in people:
        uid = person.pk
        if uid in manual:
            row = manual[uid]
            result[uid] = PresenceOut(
                username=person.username, status=row.status, destination=row.destination,
                until=row.until, note=row.note, source=Source.MANUAL,
            )  # fmt: skip
        elif uid in calendar:
            result[uid] = calendar[uid]
        else:
            at = seen.get(uid)
            gone = after_hours and (at is None or now - at > ACTIVE_WITHIN)
            result[uid] = PresenceOut(
                username=person.username, status=Status.GONE if gone else Status.AVAILABLE,
                destination="", until=None, note="", source=Source.AUTO,
            )  # fmt: skip
    return result


def from_calendar(username: str, occurrences: list) -> PresenceOut | None:
    """The presence one person's current occurrences give (leave before a trip before a meeting); None when
    they say nothing of whereabouts (only all-day events such as a deadline)."""

    def pick(category: str):
        return next((o for o in occurrences if o.category == category), None)

    leave = pick("leave")
    if leave is not None:
        return PresenceOut(
            username=username, status=Status.LEAVE, destination="", until=leave.end,
            note="" if leave.reduced else leave.title, source=Source.CALENDAR,
        )  # fmt: skip
    trip = pick("trip")
    timed = [o for o in occurrences if not o.all_day]
    occ = trip or (min(timed, key=lambda o: o.end) if timed else None)
    if occ is None:
        return None
    return PresenceOut(
        username=username, status=Status.TRIP if occ is trip else Status.MEETING,
        destination=occ.location, until=occ.end, note=occ.title if not occ.reduced else "",
        source=Source.CALENDAR,
    )  # fmt: skip
