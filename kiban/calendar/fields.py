"""Parsing and validating event input (API, pages, import) into model values; errors name the field."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kiban.calendar.models import MAX_SHORT_SPAN, Attendee, Event
from kiban.core import recurrence

TOKYO = recurrence.TOKYO
MAX_REMINDER_MINUTES = 60 * 24 * 28
MAX_LIST = 500
MAX_DATES = recurrence.MAX_DATES


def error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def parse_when(value, field: str) -> tuple[dt.datetime, bool]:
    """An ISO 8601 date-time (Asia/Tokyo when it has no offset) or a date → (aware UTC datetime, is_date)."""
    if isinstance(value, dt.datetime):
        moment, is_date = value, False
    elif isinstance(value, dt.date):
        moment, is_date = dt.datetime.combine(value, dt.time()), True
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            if len(text) == 10:
                moment, is_date = dt.datetime.combine(dt.date.fromisoformat(text), dt.time()), True
            else:
                moment, is_date = dt.datetime.fromisoformat(text), False
        except ValueError:
            raise error(
                field, _("日時はISO 8601 (例 2026-11-26T10:00:00+09:00) で指定してください。")
            ) from None
    else:
        raise error(field, _("必須です。"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TOKYO)
    if not (1900 <= moment.year <= 2200):
        raise error(field, _("範囲外の日付です。"))
    return moment.astimezone(dt.UTC), is_date


def local_midnight(moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone(TOKYO)
    return dt.datetime.combine(local.date(), dt.time(), tzinfo=TOKYO).astimezone(dt.UTC)


def clean_times(start_value, end_value, all_day: bool) -> tuple[dt.datetime, dt.datetime]:
    start, _start_is_date = parse_when(start_value, "start")
    if end_value in (None, ""):
        end = start + (dt.timedelta(days=1) if all_day else dt.timedelta(hours=1))
        end_is_date = all_day
    else:
        end, end_is_date = parse_when(end_value, "end")
    if all_day:
        # All day: 00:00 of the first day to 00:00 after the last day. An end given as the last day itself
        # (a date equal to the start, or any time on the last day) means "through that day".
        start = local_midnight(start)
        end_midnight = local_midnight(end)
        if end_midnight != end or end_midnight <= start:
            end_midnight += dt.timedelta(days=1)
        end = end_midnight
    if end < start:
        raise ValidationError({"end": [_("終了は開始より後にしてください。")]})
    return start, end


def clean_instants(values, field: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise error(field, _("日時のリストで指定してください。"))
    if len(values) > MAX_DATES:
        raise error(field, _("%(n)d件までにしてください。") % {"n": MAX_DATES})
    return sorted({recurrence.iso(parse_when(v, field)[0]) for v in values})


def clean_rrule(value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise error("rrule", _("文字列で指定してください。"))
    try:
        return recurrence.normalize_rrule(value)
    except recurrence.TooDense:
        raise error(
            "rrule",
            _("繰り返しは1日%(n)d回までです (BYHOUR・BYMINUTE・BYSECOND を減らしてください)。")
            % {"n": recurrence.MAX_PER_DAY},
        ) from None
    except recurrence.RecurrenceError as exc:
        raise error("rrule", _("繰り返しの指定が正しくありません: %(why)s") % {"why": exc}) from None


def clean_text(data: dict, field: str, limit: int, *, required: bool = False) -> str:
    value = data.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise error(field, _("文字列で指定してください。"))
    value = value.strip()
    if required and not value:
        raise error(field, _("必須です。"))
    if len(value) > limit:
        raise error(field, _("%(n)d文字以内にしてください。") % {"n": limit})
    return value


def clean_choice(value, field: str, choices) -> str:
    allowed = [c[0] for c in choices]
    if value not in allowed:
        raise error(field, _("次のどれかにしてください: %(allowed)s") % {"allowed": ", ".join(allowed)})
    return value


def clean_attendees(values, organizer) -> list:
    """Usernames (or ids) → active staff, without the organiser, in the order given."""
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > MAX_LIST:
        raise error("attendees", _("職員番号のリストで指定してください。"))
    Staff = get_user_model()
    names = [v for v in values if isinstance(v, str)]
    ids = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if len(names) + len(ids) != len(values):
        raise error("attendees", _("職員番号のリストで指定してください。"))
    found = {s.username: s for s in Staff.objects.filter(username__in=names, is_active=True)}
    found_ids = {s.pk: s for s in Staff.objects.filter(pk__in=ids, is_active=True)}
    people = []
    for value in values:
        person = found.get(value) if isinstance(value, str) else found_ids.get(value)
        if person is None:
            raise error("attendees", _("該当する職員がいません: %(who)s") % {"who": value})
        if person.pk != organizer.pk and person not in people:
            people.append(person)
    return people


def clean_ids(values, field: str) -> list[int]:
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > 50:
        raise error(field, _("IDのリストで指定してください。"))
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise error(field, _("IDのリストで指定してください。"))
    return list(dict.fromkeys(values))


def clean_reminders(values) -> list[int]:
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > 5:
        raise error("reminders", _("分数のリスト (5件まで) で指定してください。"))
    if not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_REMINDER_MINUTES for v in values
    ):
        raise error("reminders", _("0〜%(max)d分の整数で指定してください。") % {"max": MAX_REMINDER_MINUTES})
    return sorted(set(values))


def clean_status(value) -> str:
    allowed = [Attendee.Status.ACCEPTED, Attendee.Status.DECLINED, Attendee.Status.TENTATIVE]
    if value not in allowed:
        raise error("status", _("次のどれかにしてください: %(allowed)s") % {"allowed": ", ".join(allowed)})
    return value


def refresh_window(event: Event, exception_ends=()) -> None:
    """Recompute the precomputed window fields (see kiban.calendar.models)."""
    if event.is_recurring:
        end = recurrence.series_end(
            event.rrule, event.start, event.end, tzid=event.tzid, rdates=event.rdates, exdates=event.exdates
        )
        if end is not None:
            end = max([end, *exception_ends])
        event.series_end = end
        event.long_running = True
    else:
        event.series_end = event.end
        event.long_running = event.end - event.start > MAX_SHORT_SPAN
