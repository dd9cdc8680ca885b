"""The demo prefecture (架空県): departments, N staff with realistic names and readings, heads, 兼務.

Deterministic: a seeded random generator, so the same N gives the same people in every fresh database.
Fast: bulk inserts in one transaction, one password hash shared by every demo account (argon2 is slow by
design; hashing 100,000 times would take hours), search fields computed before insert.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction

from kiban.accounts.models import Staff
from kiban.core import modules
from kiban.core.audit import record
from kiban.org.demo_departments import BRANCH_OF, TREE
from kiban.org.demo_names import FEMALE_NAMES, MALE_NAMES, SECOND_VARIANTS, SURNAMES, VARIANT_SURNAMES
from kiban.org.importer_parse import derive_romaji
from kiban.org.models import Department, Membership
from kiban.org.search import reindex_staff
from kiban.org.titles import rank_for_title

DEFAULT_STAFF = 300
DEFAULT_PASSWORD = "kiban-demo"  # noqa: S105 — the documented demo password (README, CONTRACT.md)
EMAIL_DOMAIN = "pref.kakuu.lg.jp"
SEED = 20250401
BATCH = 2000
# Titles of the rank and file, with their share: most staff are 主事/主任, fewer 主査, a few 課長補佐.
STAFF_TITLES = [
    ("課長補佐", 6),
    ("主幹", 4),
    ("主査", 18),
    ("主任", 26),
    ("主事", 34),
    ("技師", 8),
    ("主事補", 4),
]
KENMU_SHARE = 0.03


class DemoDataExists(Exception):  # noqa: N818
    """There are staff already; the demo never mixes with real (or earlier demo) data."""


@dataclass
class Unit:
    """A department in the demo tree, with where new members go."""

    department: Department
    building: str
    index: int
    children: list[Unit] = field(default_factory=list)


@dataclass
class Position:
    unit: Unit
    title: str
    is_head: bool


def _build_departments() -> tuple[list[Unit], list[Unit], list[Unit]]:
    """Create the tree; returns the top units, the sections (課/室) and the 係."""
    tops: list[Unit] = []
    sections: list[Unit] = []
    teams: list[Unit] = []
    for top_order, (code, name, _head, building, section_specs) in enumerate(TREE, start=1):
        top = Unit(Department(code=code, name=name, order=top_order), building, len(tops))
        tops.append(top)
        for section_order, (section_name, team_names) in enumerate(section_specs, start=1):
            section_code = f"{code[:2]}{section_order:02d}00"
            section = Unit(
                Department(code=section_code, name=section_name, order=section_order), building, len(sections)
            )
            top.children.append(section)
            sections.append(section)
            for team_order, team_name in enumerate(team_names, start=1):
                team = Unit(
                    Department(code=f"{section_code[:4]}{team_order:02d}", name=team_name, order=team_order),
                    building,
                    section.index,
                )
                section.children.append(team)
                teams.append(team)
    Department.objects.bulk_create([u.department for u in tops])
    by_code = {u.department.code: u.department for u in tops}
    if any(d.pk is None for d in by_code.values()):
        for code, pk in Department.objects.filter(code__in=by_code).values_list("code", "id"):
            by_code[code].pk = pk
    branches = [by_code[code] for code in BRANCH_OF]
    for branch in branches:
        branch.parent = by_code[BRANCH_OF[branch.code]]
    Department.objects.bulk_update(branches, ["parent"])
    for top in tops:
        for section in top.children:
            section.department.parent = top.department
    Department.objects.bulk_create([s.department for s in sections])
    for section in sections:
        for team in section.children:
            team.department.parent = section.department
    Department.objects.bulk_create([t.department for t in teams])
    # bulk_create returns primary keys on SQLite ≥ 3.35 and PostgreSQL; refetch where it did not.
    if any(u.department.pk is None for u in tops + sections + teams):
        ids = dict(Department.objects.values_list("code", "id"))
        for unit in tops + sections + teams:
            unit.department.pk = ids[unit.department.code]
    return tops, sections, teams


def _positions(
    n: int, tops: list[Unit], sections: list[Unit], teams: list[Unit], rng: random.Random
) -> list[Position]:
    """Heads first (so every unit has one whenever N allows), then 次長, then the rank and file."""
    head_titles = {code: head for code, _n, head, _b, _s in TREE}
    positions = [Position(top, head_titles[top.department.code], True) for top in tops]
    positions += [Position(s, "室長" if s.department.name.endswith("室") else "課長", True) for s in sections]
    positions += [Position(t, "係長", True) for t in teams]
    positions += [Position(top, "次長", False) for top in tops if top.department.name.endswith("部")]
    positions = positions[:n]
    titles, weights = zip(*STAFF_TITLES, strict=True)
    team_head_rank = rank_for_title("係長")
    while len(positions) < n:
        section = rng.choice(sections)
        unit = rng.choice(section.children) if section.children and rng.random() < 0.7 else section
        title = rng.choices(titles, weights)[0]
        if unit is not section and rank_for_title(title) <= team_head_rank:
            # A 係 is headed by its 係長: a 課長補佐 or 主幹 (who ranks above) works in the 課 itself.
            unit = section
        positions.append(Position(unit, title, False))
    return positions


def _names(rng: random.Random) -> Callable[[], tuple[str, str, str, str]]:
    surnames = [(k, r) for k, r, _w in SURNAMES]
    weights = [w for _k, _r, w in SURNAMES]

    def draw() -> tuple[str, str, str, str]:
        family, family_kana = rng.choices(surnames, weights)[0]
        variant = VARIANT_SURNAMES.get(family)
        if variant and rng.random() < variant[1]:
            family = SECOND_VARIANTS.get(family, variant[0]) if rng.random() < 0.5 else variant[0]
        given, given_kana = rng.choice(MALE_NAMES if rng.random() < 0.55 else FEMALE_NAMES)
        return family, given, family_kana, given_kana

    return draw


def load_demo(
    staff: int = DEFAULT_STAFF, password: str = DEFAULT_PASSWORD, stdout: TextIO | None = None
) -> dict:
    """Load 架空県 into an empty organisation. Raises DemoDataExists when there are staff or departments."""
    started = time.monotonic()

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(f"{message} ({time.monotonic() - started:.1f} s)\n")

    if Staff.objects.exists() or Department.objects.exists():
        raise DemoDataExists("staff or departments exist already")
    rng = random.Random(f"{SEED}:{staff}")
    password_hash = make_password(password)
    with transaction.atomic():
        tops, sections, teams = _build_departments()
        say(f"departments: {len(tops) + len(sections) + len(teams)}")
        positions = _positions(staff, tops, sections, teams, rng)
        draw = _names(rng)
        people: list[Staff] = []
        emails: set[str] = set()
        per_unit: dict[int, int] = {}
        for number, position in enumerate(positions, start=1):
            family, given, family_kana, given_kana = draw()
            romaji = derive_romaji(family_kana, given_kana)
            local = romaji.lower().replace(" ", ".")
            email, suffix = f"{local}@{EMAIL_DOMAIN}", 1
            while email in emails:
                suffix += 1
                email = f"{local}{suffix}@{EMAIL_DOMAIN}"
            emails.add(email)
            unit = position.unit
            seat = per_unit[unit.department.code] = per_unit.get(unit.department.code, 0) + 1
            # 4 digits: building, section (two digits), then a desk phone shared by up to ten people.
            extension = f"{unit.building}{unit.index % 100:02d}{seat % 10}"
            mobile = (
                f"090-{rng.randrange(10000):04d}-{rng.randrange(10000):04d}" if rng.random() < 0.1 else ""
            )
            person = Staff(
                username=f"{100000 + number:06d}",
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                romaji=romaji,
                email=email,
                extension=extension,
                mobile=mobile,
                title=position.title,
                password=password_hash,
            )
            person.refresh_search_fields()
            people.append(person)
        admin = Staff(
            username="admin",
            family_name="管理者",
            family_name_kana="カンリシャ",
            romaji="Kanrisha",
            email=f"admin@{EMAIL_DOMAIN}",
            is_staff=True,
            is_superuser=True,
            password=password_hash,
        )
        admin.refresh_search_fields()
        Staff.objects.bulk_create([*people, admin], batch_size=BATCH)
        ids = dict(Staff.objects.values_list("username", "id"))
        say(f"staff: {len(people)}")

        memberships = [
            Membership(
                staff_id=ids[person.username],
                department_id=position.unit.department.pk,
                title=position.title,
                is_primary=True,
                is_head=position.is_head,
                rank=rank_for_title(position.title),
            )
            for person, position in zip(people, positions, strict=True)
        ]
        # 兼務: a few of the rank and file also serve in another section.
        for person, position in zip(people, positions, strict=True):
            if position.is_head or position.title == "次長" or rng.random() >= KENMU_SHARE:
                continue
            other = rng.choice(sections)
            if other.department.pk in (position.unit.department.pk, position.unit.department.parent_id):
                continue
            memberships.append(
                Membership(
                    staff_id=ids[person.username],
                    department_id=other.department.pk,
                    title=position.title,
                    is_primary=False,
                    rank=rank_for_title(position.title),
                )
            )
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        say(f"memberships: {len(memberships)}")
        reindex_staff(ids.values())
        counts = {
            "departments": len(tops) + len(sections) + len(teams),
            "sections": len(sections),
            "staff": len(people),
            "memberships": len(memberships),
        }
        record("org.demo.load", actor_username="system", target_type="org.demo", **counts)
    # The modules' own demo data (resources, events, teams and channels), each in its own transaction, in
    # the order the modules declare (`demo`, `demo_order` in their AppConfig).
    for loader in modules.demo_loaders():
        module_path, _, function = loader.rpartition(".")
        counts.update(getattr(import_module(module_path), function)(say))
    say("done")
    return counts
