"""`kiban demo`: the fictional prefecture 架空県, deterministic and complete enough to demonstrate."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from kiban.accounts.models import Staff
from kiban.org.demo import load_demo
from kiban.org.models import Department, Membership
from kiban.org.search import search_staff


def people() -> list[tuple]:
    return list(
        Staff.objects.order_by("username").values_list(
            "username",
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "romaji",
            "email",
            "title",
        )
    )


def sections():
    return Department.objects.filter(Q(name__endswith="課") | Q(name__endswith="室"))


@pytest.fixture
def demo(db):
    call_command("demo", "--staff", "300", stdout=StringIO())


def test_demo_is_deterministic(db, monkeypatch):
    # The people are what must repeat; the modules' demo data (bookings, alcohol checks) refer to staff
    # with PROTECT, as real records do, so the staff could not be deleted between the two loads.
    monkeypatch.setattr("kiban.core.modules.demo_loaders", lambda: [])
    load_demo(staff=300)
    first = people()
    Membership.objects.all().delete()
    Staff.objects.all().delete()
    Department.objects.filter(parent__isnull=False, children__isnull=True).delete()
    Department.objects.filter(parent__isnull=False).delete()
    Department.objects.all().delete()

    load_demo(staff=300)

    assert people() == first
    assert len(first) == 301  # 300 staff and admin


def test_demo_has_about_forty_sections_each_with_one_head(demo):
    assert sections().count() == 41
    heads = Counter(Membership.objects.filter(is_head=True).values_list("department__code", flat=True))
    assert all(heads[code] == 1 for code in Department.objects.values_list("code", flat=True))
    assert set(
        Membership.objects.filter(is_head=True, department__in=sections()).values_list("title", flat=True)
    ) == {
        "課長",
        "室長",
    }


def test_demo_staff_have_katakana_readings_romaji_unique_emails_and_one_primary(demo):
    staff = Staff.objects.exclude(username="admin")
    assert staff.count() == 300
    assert (
        staff.filter(family_name_kana__regex=r"^[ァ-ヶー]+$", given_name_kana__regex=r"^[ァ-ヶー]+$").count()
        == 300
    )
    emails = list(staff.values_list("email", flat=True))
    assert len(set(emails)) == 300
    assert all(e.endswith("@pref.kakuu.lg.jp") for e in emails)
    primaries = staff.annotate(n=Count("memberships", filter=Q(memberships__is_primary=True)))
    assert set(primaries.values_list("n", flat=True)) == {1}
    assert Membership.objects.filter(is_primary=False).exists()  # some 兼務
    assert set(staff.values_list("title", flat=True)) >= {
        "部長",
        "次長",
        "課長",
        "係長",
        "主査",
        "主任",
        "主事",
    }


def test_variant_kanji_surnames_are_found_by_their_common_form(demo):
    variant = Staff.objects.filter(family_name__in=["髙橋", "齋藤", "渡邉", "渡邊", "山﨑"]).first()
    assert variant is not None
    common = {"髙橋": "高橋", "齋藤": "斎藤", "渡邉": "渡辺", "渡邊": "渡辺", "山﨑": "山崎"}[
        variant.family_name
    ]

    found = search_staff(common + variant.given_name, limit=200).staff

    assert variant.username in [hit.username for hit in found]


def test_admin_signs_in_with_the_demo_password(demo, client):
    admin = Staff.objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert client.login(username="admin", password="kiban-demo")
    assert client.login(username="100001", password="kiban-demo")


def test_demo_refuses_when_staff_exist(demo):
    before = Staff.objects.count()
    with pytest.raises(CommandError, match="既にある"):
        call_command("demo", stdout=StringIO())
    assert Staff.objects.count() == before
