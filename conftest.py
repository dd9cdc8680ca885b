"""Shared test set-up. Personas and factories live next to their domain (kiban/<app>/tests/factories.py)."""

from __future__ import annotations

import os

import pytest

from kiban.core.tests.smtp import smtp_port, smtp_server  # noqa: F401 (fixtures for every app)

# Playwright's sync API runs an event loop in the test thread; Django's ORM guard would refuse queries
# made there. The browser tests are the only place this matters.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_closed_days():
    """The closed-day table is kept in memory for a minute: a test's rolled-back rows must not outlive it."""
    from kiban.core import closed_days

    closed_days.clear()
    yield
    closed_days.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database only: let the audit log be emptied. Between transactional tests pytest-django
    flushes with DELETE on SQLite, which the append-only trigger would refuse (core migration 0002)."""
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO core_audit_purge_permit (reason) VALUES ('test database')")


# --- Personas that mirror a prefecture ------------------------------------------------------------------
# 総務部 (general affairs) › 人事課 (personnel): the section head and a clerk; 土木部 › 道路課: another clerk;
# 情報システム課: the IT administrator.


@pytest.fixture
def org_tree(db):
    from kiban.org.tests.factories import DepartmentFactory

    soumu = DepartmentFactory(code="100000", name="総務部", order=1)
    jinji = DepartmentFactory(code="100100", name="人事課", parent=soumu, order=1)
    joho = DepartmentFactory(code="100200", name="情報システム課", parent=soumu, order=2)
    doboku = DepartmentFactory(code="500000", name="土木部", order=5)
    douro = DepartmentFactory(code="500100", name="道路課", parent=doboku, order=1)
    return {"soumu": soumu, "jinji": jinji, "joho": joho, "doboku": doboku, "douro": douro}


def _persona(department, *, rank: int, is_head: bool = False, **staff):
    """A member of staff with one primary membership (title as on the staff record)."""
    from kiban.accounts.tests.factories import StaffFactory
    from kiban.org.tests.factories import MembershipFactory

    person = StaffFactory(**staff)
    MembershipFactory(staff=person, department=department, title=staff["title"], is_head=is_head, rank=rank)
    return person


@pytest.fixture
def section_head(org_tree):
    return _persona(
        org_tree["jinji"], rank=10, is_head=True, username="100001", family_name="髙橋", given_name="一郎",
        family_name_kana="タカハシ", given_name_kana="イチロウ", romaji="Takahashi Ichiro", title="課長",
        extension="2101",
    )  # fmt: skip


@pytest.fixture
def clerk(org_tree):
    return _persona(
        org_tree["jinji"], rank=90, username="100002", family_name="佐藤", given_name="花子",
        family_name_kana="サトウ", given_name_kana="ハナコ", romaji="Sato Hanako", title="主事", extension="2102",
    )  # fmt: skip


@pytest.fixture
def other_clerk(org_tree):
    return _persona(
        org_tree["douro"], rank=80, username="500001", family_name="渡邊", given_name="健",
        family_name_kana="ワタナベ", given_name_kana="ケン", romaji="Watanabe Ken", title="主任", extension="5101",
    )  # fmt: skip


@pytest.fixture
def it_admin(org_tree):
    return _persona(
        org_tree["joho"], rank=70, username="100009", family_name="齋藤", given_name="誠",
        family_name_kana="サイトウ", given_name_kana="マコト", romaji="Saito Makoto", title="主査",
        extension="2201", is_staff=True,
    )  # fmt: skip
