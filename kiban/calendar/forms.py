"""The event form of the web pages: parses what a person typed (date + time in Asia/Tokyo, a recurrence
built from simple choices or typed as an RRULE, attendees by 職員番号, rooms, reminders) into the values the
calendar actions take. Nothing here writes."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiban.accounts.models import Staff
from kiban.calendar import online
from kiban.calendar.models import Event
from kiban.core.recurrence import MAX_PER_DAY, RecurrenceError, TooDense, normalize_rrule

WEEKDAYS = [
    ("MO", _("月")),
    ("TU", _("火")),
    ("WE", _("水")),
    ("TH", _("木")),
    ("FR", _("金")),
    ("SA", _("土")),
    ("SU", _("日")),
]
REPEAT_CHOICES = [
    ("none", _("繰り返さない")),
    ("daily", _("毎日")),
    ("weekdays", _("毎日（平日のみ）")),
    ("weekly", _("毎週")),
    ("monthly_date", _("毎月（日付で）")),
    ("monthly_nth", _("毎月（第◯曜日で）")),
    ("yearly", _("毎年")),
    ("custom", _("RRULEを直接入力")),
]
REMINDER_CHOICES = [
    ("0", _("開始時")),
    ("5", _("5分前")),
    ("10", _("10分前")),
    ("15", _("15分前")),
    ("30", _("30分前")),
    ("60", _("1時間前")),
    ("1440", _("1日前")),
]
SCOPE_CHOICES = [
    ("this", _("この予定のみ")),
    ("following", _("これ以降")),
    ("all", _("すべて")),
]
_ORDINALS = {1: _("第1"), 2: _("第2"), 3: _("第3"), 4: _("第4"), -1: _("最終")}


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def nth_weekday(day: dt.date) -> tuple[int, str]:
    """(n, "TH") for "the n-th Thursday of the month"; the fifth is written as the last (-1)."""
    n = (day.day - 1) // 7 + 1
    return (-1 if n == 5 else n), WEEKDAYS[day.weekday()][0]


def describe_nth(day: dt.date) -> str:
    n, _code = nth_weekday(day)
    return _("%(nth)s%(weekday)s曜日") % {"nth": _ORDINALS[n], "weekday": WEEKDAYS[day.weekday()][1]}


def split_usernames(text: str) -> list[str]:
    seen: list[str] = []
    for name in re.split(r"[\s,、，]+", text or ""):
        if name and name not in seen:
            seen.append(name)
    return seen


class EventForm(forms.Form):
    title = forms.CharField(label=_("件名"), max_length=200)
    all_day = forms.BooleanField(label=_("終日"), required=False)
    start_date = forms.DateField(label=_("開始日"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("開始時刻"),
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300}),
    )
    end_date = forms.DateField(label=_("終了日"), widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(
        label=_("終了時刻"),
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300}),
    )
    repeat = forms.ChoiceField(label=_("繰り返し"), choices=REPEAT_CHOICES, initial="none", required=False)
    interval = forms.IntegerField(label=_("間隔"), min_value=1, max_value=99, initial=1, required=False)
    byday = forms.MultipleChoiceField(
        label=_("曜日"), choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    until = forms.DateField(
        label=_("終了日（繰り返し）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    count = forms.IntegerField(label=_("回数"), min_value=1, max_value=999, required=False)
    rrule_text = forms.CharField(
        label=_("RRULE"),
        required=False,
        max_length=500,
        help_text=_("例: FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270331T145959Z"),
    )
    location = forms.CharField(label=_("場所"), max_length=200, required=False)
    description = forms.CharField(label=_("内容"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    color = forms.ChoiceField(label=_("分類色"), choices=Event.Color.choices, initial=Event.Color.BLUE)
    visibility = forms.ChoiceField(
        label=_("公開範囲"),
        choices=Event.Visibility.choices,
        initial=Event.Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    attendees = forms.CharField(
        label=_("参加者（職員番号）"),
        required=False,
        max_length=5000,
        help_text=_("職員番号を空白またはカンマで区切って入力します。"),
    )
    reminders = forms.MultipleChoiceField(
        label=_("通知"), choices=REMINDER_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    resources = forms.TypedMultipleChoiceField(
        label=_("会議室・設備"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    online_meeting = forms.BooleanField(
        label=_("Web会議を設定する"),
        required=False,
        help_text=_("参加者は予定からワンクリックでWeb会議に入れます。"),
    )
    scope = forms.ChoiceField(
        label=_("変更する範囲"), choices=SCOPE_CHOICES, required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args, resource_choices=(), recurring: bool = False, organizer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resources"].choices = list(resource_choices)
        if not online.available():
            del self.fields["online_meeting"]
        self.recurring = recurring
        self.organizer = organizer
        if recurring:
            self.fields["scope"].required = True
            self.fields["scope"].initial = "this"
        else:
            del self.fields["scope"]

    # --- cleaning ---------------------------------------------------------------------------------------

    def clean_attendees(self) -> list[Staff]:
        names = split_usernames(self.cleaned_data.get("attendees", ""))
        if not names:
            return []
        found = {s.username: s for s in Staff.objects.filter(username__in=names, is_active=True)}
        missing = [n for n in names if n not in found]
        if missing:
            raise forms.ValidationError(
                _("職員番号 %(names)s の職員が見つかりません。") % {"names": "、".join(missing)}
            )
        organizer_id = self.organizer.pk if self.organizer else None
        return [found[n] for n in names if found[n].pk != organizer_id]

    def clean_reminders(self) -> list[int]:
        return sorted({int(v) for v in self.cleaned_data.get("reminders") or []})

    def _clean_year(self, name: str):
        value = self.cleaned_data.get(name)
        if value is not None and not 1900 <= value.year <= 2200:
            raise forms.ValidationError(_("1900年から2200年までの日付にしてください。"))
        return value

    def clean_start_date(self):
        return self._clean_year("start_date")

    def clean_end_date(self):
        return self._clean_year("end_date")

    def clean_until(self):
        return self._clean_year("until")

    def clean(self):
        data = super().clean()
        start_date, end_date = data.get("start_date"), data.get("end_date")
        if start_date is None or end_date is None:
            return data
        if data.get("all_day"):
            if end_date < start_date:
                self.add_error("end_date", _("終了日は開始日以降にしてください。"))
                return data
            data["start"] = _local(start_date, dt.time.min)
            data["end"] = _local(end_date + dt.timedelta(days=1), dt.time.min)
        else:
            start_time, end_time = data.get("start_time"), data.get("end_time")
            if start_time is None:
                self.add_error("start_time", _("開始時刻を入力してください（終日でない予定）。"))
            if end_time is None:
                self.add_error("end_time", _("終了時刻を入力してください（終日でない予定）。"))
            if start_time is None or end_time is None:
                return data
            data["start"] = _local(start_date, start_time)
            data["end"] = _local(end_date, end_time)
            if data["end"] <= data["start"]:
                self.add_error("end_time", _("終了は開始より後にしてください。"))
                return data
        data["rrule"] = self._build_rrule(data)
        return data

    def _build_rrule(self, data) -> str | None:
        repeat = data.get("repeat") or "none"
        if repeat == "none":
            return None
        if repeat == "custom":
            text = (data.get("rrule_text") or "").strip()
            if not text:
                self.add_error("rrule_text", _("RRULEを入力してください。"))
                return None
            try:
                return normalize_rrule(text)
            except TooDense:
                self.add_error("rrule_text", _("繰り返しは1日%(n)d回までです。") % {"n": MAX_PER_DAY})
                return None
            except RecurrenceError as error:
                self.add_error("rrule_text", _("RRULEが正しくありません: %(why)s") % {"why": error})
                return None
        start_local = timezone.localtime(data["start"])
        parts = []
        if repeat in ("daily", "weekdays"):
            parts.append("FREQ=DAILY" if repeat == "daily" else "FREQ=WEEKLY")
            if repeat == "weekdays":
                parts.append("BYDAY=MO,TU,WE,TH,FR")
        elif repeat == "weekly":
            days = data.get("byday") or [WEEKDAYS[start_local.weekday()][0]]
            order = [code for code, _label in WEEKDAYS]
            parts += ["FREQ=WEEKLY", "BYDAY=" + ",".join(sorted(days, key=order.index))]
        elif repeat == "monthly_date":
            parts += ["FREQ=MONTHLY", f"BYMONTHDAY={start_local.day}"]
        elif repeat == "monthly_nth":
            n, code = nth_weekday(start_local.date())
            parts += ["FREQ=MONTHLY", f"BYDAY={n}{code}"]
        elif repeat == "yearly":
            parts.append("FREQ=YEARLY")
        interval = data.get("interval") or 1
        if interval > 1 and repeat != "weekdays":
            parts.append(f"INTERVAL={interval}")
        until, count = data.get("until"), data.get("count")
        if until and count:
            self.add_error("count", _("終了日と回数はどちらか一方だけ指定してください。"))
            return None
        if until:
            if until < start_local.date():
                self.add_error("until", _("繰り返しの終了日は開始日以降にしてください。"))
                return None
            # The end of that day in Asia/Tokyo, in UTC as RFC 5545 requires with a zoned DTSTART.
            last = _local(until, dt.time(23, 59, 59)).astimezone(dt.UTC)
            parts.append(f"UNTIL={last:%Y%m%dT%H%M%SZ}")
        elif count:
            parts.append(f"COUNT={count}")
        return ";".join(parts)


def initial_from_event(event, occurrence=None) -> dict:
    """The form's initial values for an existing event (or one occurrence of a series)."""
    start = timezone.localtime(occurrence.start if occurrence else event.start)
    end = timezone.localtime(occurrence.end if occurrence else event.end)
    all_day = occurrence.all_day if occurrence else event.all_day
    if all_day:
        end = end - dt.timedelta(days=1)
    initial = {
        "title": occurrence.title if occurrence else event.title,
        "all_day": all_day,
        "start_date": start.date(),
        "start_time": None if all_day else start.time().replace(second=0, microsecond=0),
        "end_date": end.date(),
        "end_time": None if all_day else end.time().replace(second=0, microsecond=0),
        "location": occurrence.location if occurrence else event.location,
        "description": event.description,
        "color": event.color,
        "visibility": event.visibility,
        "attendees": " ".join(a.staff.username for a in event.attendees.select_related("staff")),
        "resources": [],
        "online_meeting": bool(event.meeting_url),
    }
    initial.update(repeat_initial(event.rrule, start))
    return initial


def repeat_initial(rrule: str | None, start: dt.datetime) -> dict:
    """Read a rule back into the simple choices when it is one of them, else show it as text."""
    if not rrule:
        return {"repeat": "none"}
    parts = dict(chunk.split("=", 1) for chunk in rrule.split(";") if "=" in chunk)
    custom = {"repeat": "custom", "rrule_text": rrule}
    known = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT"}
    if set(parts) - known:
        return custom
    initial: dict = {"interval": int(parts.get("INTERVAL", "1") or 1)}
    if "UNTIL" in parts:
        try:
            raw = parts["UNTIL"]
            moment = (
                dt.datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
                if "T" in raw
                else _local(dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:8])), dt.time.min)
            )
            initial["until"] = timezone.localtime(moment).date()
        except ValueError:
            return custom
    if "COUNT" in parts:
        initial["count"] = int(parts["COUNT"])
    freq, byday, bymonthday = parts.get("FREQ"), parts.get("BYDAY"), parts.get("BYMONTHDAY")
    if freq == "DAILY" and not byday and not bymonthday:
        initial["repeat"] = "daily"
    elif freq == "WEEKLY" and byday == "MO,TU,WE,TH,FR" and initial["interval"] == 1:
        initial["repeat"] = "weekdays"
    elif freq == "WEEKLY" and not bymonthday:
        codes = byday.split(",") if byday else [WEEKDAYS[start.weekday()][0]]
        if not all(code in dict(WEEKDAYS) for code in codes):
            return custom
        initial.update(repeat="weekly", byday=codes)
    elif freq == "MONTHLY" and bymonthday and not byday and bymonthday == str(start.day):
        initial["repeat"] = "monthly_date"
    elif (
        freq == "MONTHLY" and byday and not bymonthday and byday == "{}{}".format(*nth_weekday(start.date()))
    ):
        initial["repeat"] = "monthly_nth"
    elif freq == "YEARLY" and not byday and not bymonthday:
        initial["repeat"] = "yearly"
    else:
        return custom
    return initial
