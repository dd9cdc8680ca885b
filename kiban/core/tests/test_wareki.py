from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from kiban.core.templatetags.kiban import holiday_filter, wareki_datetime_filter
from kiban.core.wareki import fiscal_year, holiday_name, wareki


def test_era_boundaries_and_gannen():
    with translation.override("ja"):
        assert wareki(dt.date(2019, 4, 30)) == "平成31年4月30日"
        assert wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
        assert wareki(dt.date(2026, 11, 26), weekday=True) == "令和8年11月26日(木)"
        assert wareki(dt.date(1989, 1, 7)) == "昭和64年1月7日"


def test_datetime_is_shown_in_tokyo_time():
    utc_evening = dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC)  # 01:30 on the 27th in Tokyo
    with translation.override("ja"):
        assert wareki_datetime_filter(utc_evening) == "令和8年11月27日 01:30"


@pytest.mark.django_db  # closed days (年末年始…) are policy in the database, read with the holidays
def test_public_and_substitute_holidays_are_named():
    assert holiday_name(dt.date(2026, 11, 23)) == "勤労感謝の日"
    assert holiday_name(dt.date(2026, 5, 6)) == "憲法記念日 振替休日"  # 5/3 fell on a Sunday
    assert holiday_filter(dt.date(2026, 11, 24)) == ""


def test_fiscal_year_runs_april_to_march():
    assert fiscal_year(dt.date(2027, 3, 31)) == 2026
    assert fiscal_year(dt.date(2027, 4, 1)) == 2027


def test_nendo_runs_from_april_and_names_the_new_era_in_a_changeover_year():
    from kiban.core.wareki import nendo, nendo_range

    with translation.override("en"):
        assert nendo(dt.date(2026, 4, 1)) == "FY2026"
    translation.activate("ja")
    assert nendo(dt.date(2026, 4, 1)) == "令和8年度"
    assert nendo(dt.date(2027, 3, 31)) == "令和8年度"
    assert nendo(dt.date(2026, 3, 31)) == "令和7年度"
    assert nendo(dt.date(2019, 4, 1)) == "令和元年度"
    assert nendo(dt.date(2019, 3, 1)) == "平成30年度"
    assert nendo_range(dt.date(2026, 3, 30), dt.date(2026, 4, 5)) == "令和7年度・令和8年度"


@pytest.mark.django_db
def test_closed_days_are_named_like_holidays_and_the_national_holiday_wins():
    from kiban.core.models import ClosedDay

    ClosedDay.objects.get_or_create(name="年末年始", month=12, day=29, year=None)
    ClosedDay.objects.get_or_create(name="年末年始", month=1, day=1, year=None)
    ClosedDay.objects.create(name="県民の日", month=11, day=24, year=2026)
    assert holiday_name(dt.date(2026, 12, 29)) == "年末年始"
    assert holiday_name(dt.date(2031, 12, 29)) == "年末年始"
    assert holiday_name(dt.date(2027, 1, 1)) == "元日"
    assert holiday_name(dt.date(2026, 11, 24)) == "県民の日"
    assert holiday_name(dt.date(2027, 11, 24)) is None
