"""Forms of the booking pages. They parse; the actions decide (overlaps, licences, rights)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiban.booking.models import AlcoholCheck

REPEAT_CHOICES = [
    ("", _("繰り返さない")),
    ("DAILY", _("毎日")),
    ("WEEKDAYS", _("毎日(平日のみ)")),
    ("WEEKLY", _("毎週")),
    ("MONTHLY", _("毎月")),
]


# A person field: a combobox that searches by name, kana or romaji (kiban/static/kiban/people.js) writing the
# usernames the server reads; without JavaScript the usernames are typed.
PICK_ONE = forms.TextInput(attrs={"data-person-picker": "one", "autocomplete": "off"})
PICK_MANY = forms.TextInput(attrs={"data-person-picker": "many", "autocomplete": "off"})


def _staff(username: str, field: str):
    person = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if person is None:
        raise forms.ValidationError(_("職員番号 %(u)s の職員はいません。") % {"u": username})
    return person


class BookingForm(forms.Form):
    date = forms.DateField(label=_("日付"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("開始"), widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300})
    )
    end_time = forms.TimeField(
        label=_("終了"), widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300})
    )
    purpose = forms.CharField(label=_("用件"), max_length=200, required=False)
    repeat = forms.ChoiceField(label=_("繰り返し"), choices=REPEAT_CHOICES, required=False)
    repeat_count = forms.IntegerField(label=_("回数"), min_value=2, max_value=100, required=False, initial=4)
    # Cars only (the view drops these fields for other kinds).
    destination = forms.CharField(label=_("行先"), max_length=200, required=False)
    driver = forms.CharField(label=_("運転者"), max_length=32, required=False, widget=PICK_ONE)
    passengers = forms.CharField(label=_("同乗者"), max_length=400, required=False, widget=PICK_MANY)

    def __init__(self, *args, car: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not car:
            for name in ("destination", "driver", "passengers"):
                del self.fields[name]

    def clean_driver(self):
        value = self.cleaned_data.get("driver", "")
        return _staff(value, "driver") if value else None

    def clean_passengers(self):
        return [_staff(u, "passengers") for u in self.cleaned_data.get("passengers", "").split()]

    def clean(self):
        data = super().clean()
        if all(data.get(k) for k in ("date", "start_time", "end_time")):
            tz = timezone.get_current_timezone()
            start = dt.datetime.combine(data["date"], data["start_time"], tzinfo=tz)
            end = dt.datetime.combine(data["date"], data["end_time"], tzinfo=tz)
            if end <= start:
                self.add_error("end_time", _("終了は開始より後にしてください。"))
            data["start"], data["end"] = start, end
        if data.get("repeat") and not data.get("repeat_count"):
            self.add_error("repeat_count", _("回数を入力してください。"))
        return data

    def rrule(self) -> str | None:
        repeat = self.cleaned_data.get("repeat")
        if not repeat:
            return None
        count = self.cleaned_data["repeat_count"]
        if repeat == "WEEKDAYS":
            return f"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT={count}"
        return f"FREQ={repeat};COUNT={count}"


class AlcoholCheckForm(forms.Form):
    kind = forms.ChoiceField(label=_("区分"), choices=AlcoholCheck.Kind.choices)
    method = forms.ChoiceField(label=_("確認方法"), choices=AlcoholCheck.Method.choices)
    detector_used = forms.BooleanField(label=_("アルコール検知器を使用した"), required=False, initial=True)
    reading = forms.DecimalField(
        label=_("測定値(mg/L)"), min_value=0, max_value=9.999, decimal_places=3, required=False
    )
    result = forms.ChoiceField(label=_("結果"), choices=AlcoholCheck.Result.choices)
    notes = forms.CharField(
        label=_("備考"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(forms.Form):
    odometer_start = forms.IntegerField(label=_("出発時走行距離計(km)"), min_value=0, required=False)
    odometer_end = forms.IntegerField(label=_("帰着時走行距離計(km)"), min_value=0)
    fuel_added = forms.DecimalField(
        label=_("給油量(L)"), min_value=0, max_value=999, decimal_places=2, required=False
    )
    notes = forms.CharField(
        label=_("運行メモ"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class LicenceForm(forms.Form):
    username = forms.CharField(label=_("職員"), max_length=32, widget=PICK_ONE)
    expires_on = forms.DateField(label=_("有効期限"), widget=forms.DateInput(attrs={"type": "date"}))
    number_last4 = forms.RegexField(label=_("免許証番号(下4桁)"), regex=r"^\d{4}$", required=False)

    def clean_username(self):
        return _staff(self.cleaned_data["username"], "username")


class LogFilterForm(forms.Form):
    start = forms.DateField(label=_("開始日"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("終了日"), widget=forms.DateInput(attrs={"type": "date"}))
    driver = forms.CharField(label=_("運転者"), max_length=32, required=False, widget=PICK_ONE)
