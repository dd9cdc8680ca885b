"""Recurrence (RFC 5545 RRULE, EXDATE, RDATE) expanded with dateutil in the series' wall-clock zone.

The hot path (week grid, month view, free/busy) expands here instead of running recurring-ical-events per
request: a parsed rule is cached, and a DAILY/WEEKLY rule without COUNT starts from a period near the window
instead of from its first occurrence two years ago (dateutil iterates every occurrence from DTSTART).
The tests check this expansion against the RFC's examples through recurring-ical-events.

One engine for the whole installation: the calendar's events and booking's repeated reservations both expand
here (it lives in core so that booking, below calendar, may use it). Rules are bounded so that no request can be
made to build millions of occurrences: a rule yields at most MAX_PER_DAY occurrences on any day (refused when it
could yield more), a series carries at most MAX_DATES RDATEs and EXDATEs, and one expansion of one series returns
at most MAX_PER_WINDOW occurrences whatever the window.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from dateutil import rrule as du

TOKYO = ZoneInfo("Asia/Tokyo")
UTC = dt.UTC

# Rules are sometimes pasted from other programs with odd parts; these are refused with a reason.
_UNSUPPORTED_FREQ = {"SECONDLY", "MINUTELY"}
# A series is computed to its end only this far; longer finite series count as never-ending for the index.
_MAX_FINITE = 5000
# The densest rule accepted is hourly: a rule that could yield more on one day (BYMINUTE/BYSECOND lists on
# HOURLY, BYHOUR×BYMINUTE on DAILY, …) is refused; a week of the worst accepted series is 168 occurrences.
MAX_PER_DAY = 24
# RDATE and EXDATE entries of one series (API, form and import alike).
MAX_DATES = 500
# Occurrences of one series in one expansion (a 400-day window of an hourly series would be 9,600).
MAX_PER_WINDOW = 1000
_BY_LISTS = ("BYSECOND", "BYMINUTE", "BYHOUR")


class RecurrenceError(ValueError):
    pass


class TooManyOccurrences(RecurrenceError):
    pass


class NoOccurrences(RecurrenceError):
    pass


class TooDense(RecurrenceError):
    """The rule could yield more than MAX_PER_DAY occurrences on one day."""


@functools.lru_cache(maxsize=64)
def zone(tzid: str) -> ZoneInfo:
    try:
        return ZoneInfo(tzid)
    except (KeyError, ValueError):
        return TOKYO


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        if not chunk:
            continue
        key, sep, value = chunk.partition("=")
        if not sep or not value:
            raise RecurrenceError(f"'{chunk}' is not NAME=VALUE")
        parts[key.strip().upper()] = value.strip().upper()
    return parts


def normalize_rrule(text: str | None) -> str | None:
    """Validate an RRULE value and return it in canonical form (no "RRULE:" prefix, upper case),
    or None for an empty rule. Raises RecurrenceError with the reason."""
    if text is None:
        return None
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        return None
    if len(text) > 500 or "\n" in text:
        raise RecurrenceError("too long")
    parts = _parts(text)
    freq = parts.get("FREQ")
    if not freq:
        raise RecurrenceError("FREQ is missing")
    if freq in _UNSUPPORTED_FREQ:
        raise RecurrenceError(f"FREQ={freq} is not supported")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("COUNT and UNTIL cannot both be given")
    per_day = _most_per_day(parts)
    if per_day > MAX_PER_DAY:
        raise TooDense(f"at most {MAX_PER_DAY} occurrences a day ({per_day} asked)")
    canonical = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        probe = dt.datetime(2000, 1, 1)  # noqa: DTZ001 (dateutil expands naive wall-clock times)
        _rule(canonical, probe, "Asia/Tokyo")
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise RecurrenceError(str(exc) or "invalid") from exc
    return canonical


def _count(value: str | None) -> int:
    if not value:
        return 0
    return len({item.strip() for item in value.split(",") if item.strip()})


def _most_per_day(parts: dict[str, str]) -> int:
    """An upper bound of the occurrences the rule can yield on one day: the product of its time-of-day
    lists, with HOURLY's own hours when BYHOUR is absent (BYDAY, BYMONTHDAY … only choose days)."""
    hours = _count(parts.get("BYHOUR"))
    if not hours:
        if parts.get("FREQ") == "HOURLY":
            try:
                interval = max(1, int(parts.get("INTERVAL", "1") or 1))
            except ValueError:
                interval = 1
            hours = -(-24 // interval)
        else:
            hours = 1
    return hours * max(1, _count(parts.get("BYMINUTE"))) * max(1, _count(parts.get("BYSECOND")))


def _for_dateutil(text: str, dtstart_local: dt.datetime) -> str:
    """dateutil expands naive local times; UNTIL is made a local wall-clock time of the series' zone. A UTC
    UNTIL is converted by the caller (`_rule`); a DATE UNTIL includes its whole day (RFC 5545 makes a DATE
    UNTIL inclusive, dateutil would stop at its midnight)."""
    parts = _parts(text)
    until = parts.get("UNTIL")
    if until and re.fullmatch(r"\d{8}", until):
        parts["UNTIL"] = until + "T235959"
    return ";".join(f"{k}={v}" for k, v in parts.items())


@functools.lru_cache(maxsize=4096)
def _rule(text: str, dtstart_local: dt.datetime, tzid: str) -> du.rrule:
    parts = _parts(text)
    until = parts.get("UNTIL")
    if until and until.endswith("Z"):
        moment = dt.datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        parts["UNTIL"] = moment.astimezone(zone(tzid)).strftime("%Y%m%dT%H%M%S")
    rule_text = _for_dateutil(";".join(f"{k}={v}" for k, v in parts.items()), dtstart_local)
    return du.rrulestr(rule_text, dtstart=dtstart_local)


@functools.lru_cache(maxsize=4096)
def _parts_cached(text: str) -> dict[str, str]:
    # Read-only callers only (the dict is shared).
    return _parts(text)


def _fast_forward(text: str, dtstart_local: dt.datetime, target_local: dt.datetime) -> dt.datetime:
    """A later DTSTART that yields the same occurrences from `target_local` on: for HOURLY/DAILY/WEEKLY rules
    without COUNT (whose occurrences depend only on the period grid), move by whole INTERVALs."""
    if target_local <= dtstart_local:
        return dtstart_local
    parts = _parts_cached(text)
    if "COUNT" in parts or "BYSETPOS" in parts:
        return dtstart_local
    interval = int(parts.get("INTERVAL", "1") or 1)
    if parts["FREQ"] == "DAILY":
        step = dt.timedelta(days=interval)
    elif parts["FREQ"] == "WEEKLY":
        step = dt.timedelta(weeks=interval)
        # The week grid starts at WKST; keeping DTSTART's weekday keeps the grid.
    elif parts["FREQ"] == "HOURLY":
        # Whole INTERVALs of hours keep the hour grid; BYHOUR/BYDAY … only filter it.
        step = dt.timedelta(hours=interval)
    elif parts["FREQ"] in ("MONTHLY", "YEARLY"):
        return _fast_forward_months(parts, interval, dtstart_local, target_local)
    else:
        return dtstart_local
    periods = (target_local - dtstart_local) // step - 1
    if periods <= 0:
        return dtstart_local
    return dtstart_local + step * periods


def _fast_forward_months(
    parts: dict[str, str], interval: int, dtstart_local: dt.datetime, target_local: dt.datetime
) -> dt.datetime:
    """MONTHLY/YEARLY: move by whole INTERVALs of months (12·INTERVAL for YEARLY) when the rule's days do not
    depend on DTSTART's day falling in every month (a 31st or a 29 February would be clipped)."""
    months = interval * (12 if parts["FREQ"] == "YEARLY" else 1)
    by_day = "BYDAY" in parts or "BYMONTHDAY" in parts or "BYYEARDAY" in parts or "BYWEEKNO" in parts
    if not by_day and dtstart_local.day > 28:
        return dtstart_local
    elapsed = (target_local.year - dtstart_local.year) * 12 + target_local.month - dtstart_local.month
    periods = elapsed // months - 1
    if periods <= 0:
        return dtstart_local
    total = dtstart_local.month - 1 + periods * months
    return dtstart_local.replace(year=dtstart_local.year + total // 12, month=total % 12 + 1)


def to_local(moment: dt.datetime, tzid: str = "Asia/Tokyo") -> dt.datetime:
    return moment.astimezone(zone(tzid)).replace(tzinfo=None)


def from_local(naive: dt.datetime, tzid: str = "Asia/Tokyo") -> dt.datetime:
    return naive.replace(tzinfo=zone(tzid)).astimezone(UTC)


@functools.lru_cache(maxsize=8192)
def parse_instant(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TOKYO)
    return moment.astimezone(UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def occurrence_starts(
    rrule: str | None,
    start: dt.datetime,
    duration: dt.timedelta,
    window_start: dt.datetime,
    window_end: dt.datetime,
    *,
    tzid: str = "Asia/Tokyo",
    rdates: Iterable[str] = (),
    exdates: Iterable[str] = (),
    limit: int = MAX_PER_WINDOW,
) -> list[dt.datetime]:
    """Original starts (UTC) of the occurrences overlapping [window_start, window_end), EXDATEs removed and
    RDATEs added (exceptions are applied by the caller), the first `limit` of them. An occurrence of zero
    length overlaps when it starts inside the window."""
    result: set[dt.datetime] = set()
    if rrule:
        dtstart_local = to_local(start, tzid)
        lo_local = to_local(window_start - duration, tzid)
        hi_local = to_local(window_end, tzid)
        first = _fast_forward(rrule, dtstart_local, lo_local)
        rule = _rule(rrule, first, tzid)
        # Iterated lazily and stopped at the cap: `between` would build the whole window's list first.
        for naive in rule.xafter(lo_local, count=limit, inc=True):
            if naive > hi_local:
                break
            result.add(from_local(naive, tzid))
        # RFC 5545: DTSTART always counts as the first occurrence, even when the rule would not produce it.
        if first == dtstart_local:
            result.add(start.astimezone(UTC))
    else:
        result.add(start.astimezone(UTC))
    for text in rdates:
        result.add(parse_instant(text))
    excluded = {parse_instant(text) for text in exdates}
    return sorted(
        s
        for s in result
        if s not in excluded
        and s < window_end
        and (s + duration > window_start or (not duration and s >= window_start))
    )[:limit]


def expand_ranges(
    rrule: str, start: dt.datetime, end: dt.datetime, *, horizon: dt.timedelta, limit: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of every occurrence of `rrule` from `start` within `horizon`, for callers that store each
    occurrence (booking's repeated reservations). Raises RecurrenceError for a bad rule, one with more than
    `limit` occurrences in the horizon, or one with none."""
    canonical = normalize_rrule(rrule)
    if canonical is None:
        raise RecurrenceError("empty")
    starts = occurrence_starts(canonical, start, end - start, start, start + horizon, limit=limit + 1)
    if len(starts) > limit:
        raise TooManyOccurrences(limit)
    if not starts:
        raise NoOccurrences("no occurrence")
    duration = end - start
    return [(s, s + duration) for s in starts]


def series_end(
    rrule: str | None,
    start: dt.datetime,
    end: dt.datetime,
    *,
    tzid: str = "Asia/Tokyo",
    rdates: Iterable[str] = (),
    exdates: Iterable[str] = (),
) -> dt.datetime | None:
    """The end of the last occurrence, or None when the series never ends (or is too long to matter)."""
    duration = end - start
    last = start.astimezone(UTC)
    if rrule:
        parts = _parts(rrule)
        if "COUNT" not in parts and "UNTIL" not in parts:
            return None
        rule = _rule(rrule, to_local(start, tzid), tzid)
        for count, naive in enumerate(rule, start=1):
            if count > _MAX_FINITE:
                return None
            last = max(last, from_local(naive, tzid))
    for text in rdates:
        last = max(last, parse_instant(text))
    del exdates  # an excluded last occurrence only makes the bound loose, never wrong
    return last + duration


def first_occurrences(
    rrule: str | None,
    start: dt.datetime,
    after: dt.datetime,
    *,
    tzid: str = "Asia/Tokyo",
    rdates: Iterable[str] = (),
    exdates: Iterable[str] = (),
    limit: int = 1,
) -> list[dt.datetime]:
    """The next `limit` occurrence starts at or after `after` (for reminders)."""
    excluded = {parse_instant(text) for text in exdates}
    found: set[dt.datetime] = set()
    if rrule:
        dtstart_local = to_local(start, tzid)
        first = _fast_forward(rrule, dtstart_local, to_local(after, tzid))
        rule = _rule(rrule, first, tzid)
        cursor = to_local(after, tzid) - dt.timedelta(seconds=1)
        while len(found) < limit + len(excluded):
            naive = rule.after(cursor)
            if naive is None:
                break
            found.add(from_local(naive, tzid))
            cursor = naive
            if len(found) > limit + 50:
                break
    if start >= after:
        found.add(start.astimezone(UTC))
    for text in rdates:
        moment = parse_instant(text)
        if moment >= after:
            found.add(moment)
    return sorted(s for s in found if s not in excluded and s >= after)[:limit]
