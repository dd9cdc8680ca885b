"""iCalendar (RFC 5545): export of a person's calendar (download, private feed, iMIP) and import of .ics
files from other programs (Google Calendar, Outlook/Exchange, the old groupware).

Import converts every time to UTC, keeps an imported series' own zone for its wall-clock recurrence
(`Event.tzid`), maps Windows zone names (Outlook's "Tokyo Standard Time") to IANA ones, and is idempotent by
UID: importing the same file again updates instead of duplicating. What cannot be imported is skipped with
a reason and the line of its BEGIN; what could harm the server (a rule denser than hourly, more than
MAX_DATES RDATEs/EXDATEs, a SEQUENCE out of range, more than MAX_IMPORT_EVENTS events) refuses the whole file.
This module only reads files; the import's writes are `kiban.calendar.actions.do_import_ics`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from kiban.calendar.models import Attendee, Event
from kiban.core import recurrence

TOKYO = recurrence.TOKYO
PRODID = "-//Kiban//Kiban Calendar//JA"
_PARTSTAT = {
    Attendee.Status.NEEDS_ACTION: "NEEDS-ACTION",
    Attendee.Status.ACCEPTED: "ACCEPTED",
    Attendee.Status.DECLINED: "DECLINED",
    Attendee.Status.TENTATIVE: "TENTATIVE",
}


# --- Export -----------------------------------------------------------------------------------------------


def _tokyo_vtimezone() -> icalendar.Timezone:
    tz = icalendar.Timezone()
    tz.add("tzid", "Asia/Tokyo")
    standard = icalendar.TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))  # noqa: DTZ001 (a VTIMEZONE rule is local time)
    standard.add("tzoffsetfrom", dt.timedelta(hours=9))
    standard.add("tzoffsetto", dt.timedelta(hours=9))
    standard.add("tzname", "JST")
    tz.add_component(standard)
    return tz


def _mailto(person) -> str:
    return f"mailto:{person.email or person.username + '@' + _mail_domain()}"


def _mail_domain() -> str:
    return settings.BASE_URL.split("://", 1)[-1].split(":")[0].split("/")[0] or "kiban.local"


def _when(moment: dt.datetime, all_day: bool, tzid: str):
    if all_day:
        return moment.astimezone(TOKYO).date()
    return moment.astimezone(recurrence.zone(tzid))


def _add_common(component, event: Event, source, *, start, end, all_day: bool) -> None:
    component.add("uid", event.uid)
    component.add("dtstamp", timezone.now().astimezone(dt.UTC))
    component.add("sequence", event.sequence)
    component.add("summary", source.title)
    if source.description:
        component.add("description", source.description)
    if source.location:
        component.add("location", source.location)
    component.add("dtstart", _when(start, all_day, event.tzid))
    component.add("dtend", _when(end, all_day, event.tzid))
    component.add("class", "PRIVATE" if event.visibility == Event.Visibility.PRIVATE else "PUBLIC")
    component.add("transp", "OPAQUE")
    if event.meeting_url:
        # The online meeting's join link: RFC 7986 CONFERENCE, and URL, which more phone calendars show.
        link = (
            settings.BASE_URL + event.meeting_url if event.meeting_url.startswith("/") else event.meeting_url
        )
        component.add("conference", link, parameters={"VALUE": "URI", "FEATURE": "AUDIO,VIDEO,SCREEN"})
        component.add("url", link)


def event_components(event: Event, *, attendees: Iterable[Attendee] = (), exceptions=None) -> list:
    """The VEVENTs of one event: the master, then one per changed occurrence (RECURRENCE-ID)."""
    master = icalendar.Event()
    _add_common(master, event, event, start=event.start, end=event.end, all_day=event.all_day)
    master.add("created", event.created_at.astimezone(dt.UTC))
    master.add("last-modified", event.updated_at.astimezone(dt.UTC))
    if event.rrule:
        master.add("rrule", icalendar.vRecur.from_ical(event.rrule))
    for name, values in (("exdate", event.exdates), ("rdate", event.rdates)):
        if values:
            master.add(name, [_when(recurrence.parse_instant(v), event.all_day, event.tzid) for v in values])
    master.add("organizer", _mailto(event.organizer), parameters={"CN": event.organizer.get_full_name()})
    attendees = list(attendees)
    for attendee in attendees:
        master.add(
            "attendee",
            _mailto(attendee.staff),
            parameters={
                "CN": attendee.staff.get_full_name(),
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": _PARTSTAT[attendee.status],
                "RSVP": "TRUE",
            },
        )
    components = [master]
    if exceptions is None:
        exceptions = list(event.exceptions.all()) if event.is_recurring else []
    for changed in exceptions:
        if changed.cancelled:
            continue
        override = icalendar.Event()
        _add_common(override, event, changed, start=changed.start, end=changed.end, all_day=changed.all_day)
        override.add("recurrence-id", _when(changed.recurrence_id, event.all_day, event.tzid))
        override.add(
            "organizer", _mailto(event.organizer), parameters={"CN": event.organizer.get_full_name()}
        )
        components.append(override)
    return components


def build_calendar(events: Iterable[Event], *, method: str | None = None, name: str = "") -> bytes:
    """A VCALENDAR of `events` (attendees and exceptions prefetched or fetched here)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Tokyo")
    cal.add_component(_tokyo_vtimezone())
    for event in events:
        for component in event_components(event, attendees=event.attendees.all()):
            cal.add_component(component)
    # Series imported with another zone keep it: add its VTIMEZONE (Asia/Tokyo is there already).
    cal.add_missing_timezones()
    return cal.to_ical()


# --- Import -----------------------------------------------------------------------------------------------


# Events (VEVENTs, overrides included) in one imported file: a migration of years of one person's
# schedule is a few thousand; more is refused (413) instead of holding the server for minutes.
MAX_IMPORT_EVENTS = 5000
# SEQUENCE is stored in a 32-bit column.
MAX_SEQUENCE = 2**31 - 1


class IcsError(ValueError):
    """The file cannot be read at all (nothing was imported)."""


class IcsTooLarge(IcsError):
    """The file has more events than an import takes (nothing was imported)."""


class _Refused(ValueError):
    """A property that refuses the whole file (not only its event): the message names the property."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: list[dict] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def skip(self, line: int | None, uid: str, reason: str) -> None:
        self.skipped.append({"line": line, "uid": uid, "reason": reason})


def _component_lines(text: str) -> list[tuple[str, int]]:
    """(component name, line number) of every BEGIN inside the VCALENDAR, in file order."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.upper().startswith("BEGIN:") and line[6:].strip().upper() not in (
            "VCALENDAR",
            "VTIMEZONE",
            "STANDARD",
            "DAYLIGHT",
            "VALARM",
        ):
            found.append((line[6:].strip().upper(), number))
    return found


def _check_structure(text: str) -> None:
    """BEGIN/END must pair up: a truncated or hand-damaged file is refused naming the line, instead of
    silently importing part of it."""
    stack: list[tuple[str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            stack.append((upper[6:].strip(), number))
        elif upper.startswith("END:"):
            name = upper[4:].strip()
            if not stack or stack[-1][0] != name:
                raise IcsError(
                    _("%(line)d行目: 対応する BEGIN のない END:%(name)s です")
                    % {"line": number, "name": name}
                )
            stack.pop()
    if stack:
        name, number = stack[-1]
        raise IcsError(
            _("%(line)d行目: BEGIN:%(name)s が閉じられていません (ファイルが途中で切れています)")
            % {"line": number, "name": name}
        )


def _zone_name(value: dt.datetime, param_tzid: str | None, default_tzid: str) -> str:
    """The IANA name of the zone of a parsed DTSTART (for wall-clock recurrence)."""
    candidates = [param_tzid, getattr(value.tzinfo, "key", None), getattr(value.tzinfo, "zone", None)]
    for name in candidates:
        if not name:
            continue
        name = WINDOWS_TO_OLSON.get(name, name)
        try:
            ZoneInfo(name)
        except (KeyError, ValueError):
            continue
        return "Asia/Tokyo" if name in ("Japan", "Asia/Tokyo") else name
    if value.tzinfo is None:
        return default_tzid
    return "Asia/Tokyo"


def _instant(value, default_zone: ZoneInfo) -> tuple[dt.datetime, bool]:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=default_zone)
        return value.astimezone(dt.UTC), False
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=TOKYO).astimezone(dt.UTC), True
    raise ValueError("not a date or date-time")


def _date_list(component, name: str, default_zone: ZoneInfo) -> list[str]:
    values = component.get(name)
    if values is None:
        return []
    if not isinstance(values, list):
        values = [values]
    if sum(len(item.dts) for item in values) > recurrence.MAX_DATES:
        raise _Refused(_("%(name)s は%(n)d件までです") % {"name": name.upper(), "n": recurrence.MAX_DATES})
    result = []
    for item in values:
        for entry in item.dts:
            value = entry.dt
            if isinstance(value, tuple):  # RDATE;VALUE=PERIOD: the period's start
                value = value[0]
            result.append(recurrence.iso(_instant(value, default_zone)[0]))
    return sorted(set(result))


def _sequence(component) -> int:
    value = component.get("sequence", 0) or 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _Refused(_("SEQUENCE は整数で指定してください")) from None
    if not 0 <= number <= MAX_SEQUENCE:
        raise _Refused(_("SEQUENCE は0〜%(max)dの整数で指定してください") % {"max": MAX_SEQUENCE})
    return number


def _text(component, name: str, limit: int) -> str:
    value = component.get(name)
    return str(value).strip()[:limit] if value is not None else ""


@dataclass
class _Parsed:
    line: int
    uid: str
    values: dict
    recurrence_id: dt.datetime | None = None
    cancelled: bool = False


def _parse_vevent(component, line: int, default_zone: ZoneInfo, default_tzid: str) -> _Parsed:
    """Raises ValueError with the reason to skip it."""
    uid = _text(component, "uid", 255)
    if "DTSTART" not in component:
        raise ValueError(_("DTSTART がありません"))
    dtstart = component.decoded("dtstart")
    start, all_day = _instant(dtstart, default_zone)
    if "DTEND" in component:
        end, _is_date = _instant(component.decoded("dtend"), default_zone)
    elif "DURATION" in component:
        end = start + component.decoded("duration")
    else:
        end = start + (dt.timedelta(days=1) if all_day else dt.timedelta(0))
    if end < start:
        raise ValueError(_("DTEND が DTSTART より前です"))
    rrules = component.get("rrule")
    if isinstance(rrules, list):
        raise ValueError(_("複数の RRULE には対応していません"))
    rrule = None
    if rrules is not None:
        try:
            rrule = recurrence.normalize_rrule(rrules.to_ical().decode())
        except recurrence.TooDense:
            raise _Refused(_("RRULE: 繰り返しは1日%(n)d回までです") % {"n": recurrence.MAX_PER_DAY}) from None
        except recurrence.RecurrenceError as exc:
            raise ValueError(_("対応していない RRULE です: %(why)s") % {"why": exc}) from None
    tzid = "Asia/Tokyo"
    if isinstance(dtstart, dt.datetime):
        param = component["dtstart"].params.get("TZID")
        tzid = _zone_name(dtstart, param, default_tzid)
    summary = _text(component, "summary", 200) or _("(件名なし)")
    klass = _text(component, "class", 20).upper()
    values = {
        "title": summary,
        "description": _text(component, "description", 10000),
        "location": _text(component, "location", 200),
        "all_day": all_day,
        "start": start,
        "end": end,
        "rrule": rrule,
        "tzid": tzid,
        "exdates": _date_list(component, "exdate", default_zone),
        "rdates": _date_list(component, "rdate", default_zone),
        "visibility": Event.Visibility.PRIVATE
        if klass in ("PRIVATE", "CONFIDENTIAL")
        else Event.Visibility.PUBLIC,
        "sequence": _sequence(component),
    }
    recurrence_id = None
    if "RECURRENCE-ID" in component:
        recurrence_id = _instant(component.decoded("recurrence-id"), default_zone)[0]
    cancelled = _text(component, "status", 20).upper() == "CANCELLED"
    return _Parsed(line, uid, values, recurrence_id, cancelled)


def parse_ics(data: bytes | str) -> tuple[list[_Parsed], ImportReport]:
    """Parse a file into VEVENTs to import and a report of what was skipped. Raises IcsError when the file
    is not iCalendar at all."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    report = ImportReport()
    if "BEGIN:VCALENDAR" not in text.upper():
        raise IcsError(_("iCalendar ファイルではありません (BEGIN:VCALENDAR がありません)"))
    # Counted on the text before icalendar builds its objects for every event.
    count = sum(1 for line in text.splitlines() if line.strip().upper() == "BEGIN:VEVENT")
    if count > MAX_IMPORT_EVENTS:
        raise IcsTooLarge(
            _("予定が多すぎます (%(count)d件)。1ファイル%(max)d件までに分けてください")
            % {"count": count, "max": MAX_IMPORT_EVENTS}
        )
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise IcsError(_("iCalendar として読めません: %(why)s") % {"why": exc}) from None
    _check_structure(text)
    lines = iter(_component_lines(text))
    parsed: list[_Parsed] = []
    for cal in calendars:
        default_tzid = WINDOWS_TO_OLSON.get(
            str(cal.get("x-wr-timezone", "")), str(cal.get("x-wr-timezone", ""))
        )
        try:
            default_zone = ZoneInfo(default_tzid) if default_tzid else TOKYO
        except (KeyError, ValueError):
            default_tzid, default_zone = "Asia/Tokyo", TOKYO
        for component in cal.subcomponents:
            name = component.name.upper()
            if name in ("VTIMEZONE",):
                continue
            line = next(lines, (name, None))[1]
            uid = _text(component, "uid", 255)
            if name != "VEVENT":
                report.skip(line, uid, _("%(kind)s は取り込めません (予定のみ対応)") % {"kind": name})
                continue
            try:
                item = _parse_vevent(component, line, default_zone, default_tzid or "Asia/Tokyo")
            except _Refused as exc:
                raise IcsError(_("%(line)s行目: %(why)s") % {"line": line, "why": exc}) from None
            except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
                report.skip(line, uid, str(exc) or type(exc).__name__)
                continue
            if not item.uid:
                item.uid = f"line-{line}@import"
            parsed.append(item)
    return parsed, report


def group_series(parsed: list[_Parsed], report: ImportReport) -> list[tuple[_Parsed, list[_Parsed]]]:
    """(series, its overrides) to write, in file order; duplicates and cancelled series go to the report.
    A changed occurrence without its series (Outlook exports single instances so) becomes a single event."""
    masters: dict[str, _Parsed] = {}
    overrides: dict[str, list[_Parsed]] = {}
    for item in parsed:
        if item.recurrence_id is None:
            if item.uid in masters:
                report.skip(item.line, item.uid, _("同じ UID の予定が重複しています"))
                continue
            masters[item.uid] = item
        else:
            overrides.setdefault(item.uid, []).append(item)
    result: list[tuple[_Parsed, list[_Parsed]]] = []
    for uid, item in masters.items():
        if item.cancelled:
            report.skip(item.line, uid, _("取り消された予定です"))
            continue
        result.append((item, overrides.pop(uid, [])))
    for uid, items in overrides.items():
        for item in items:
            if item.cancelled:
                report.skip(item.line, uid, _("取り消された回です"))
                continue
            item.values["rrule"] = None
            item.values["exdates"] = item.values["rdates"] = []
            alone = _Parsed(item.line, f"{uid}#{recurrence.iso(item.recurrence_id)}"[:255], item.values)
            result.append((alone, []))
    return result
