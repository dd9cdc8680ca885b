"""Access to organisation objects and every write of departments and memberships. The directory is readable by every signed-in person; retired staff
and retired departments are visible to IT administrators only (others get 404, as for anything absent)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.core.audit import Target, record_many
from kiban.core.permissions import is_it_admin
from kiban.org import changes
from kiban.org.models import Department, Membership
from kiban.org.queries import staff_with_departments
from kiban.org.titles import rank_for_title


def can_see_retired(user) -> bool:
    return is_it_admin(user)


def access_staff(user, username: str) -> Staff:
    """The person with this 職員番号, memberships loaded. Http404 when unknown, or retired and the
    viewer is not an IT administrator."""
    found = staff_with_departments(Staff.objects.filter(username=username))
    person = found[0] if found else None
    if person is None or (not person.is_active and not can_see_retired(user)):
        raise Http404("staff not found")
    return person


def access_department(user, department_id: int) -> Department:
    department = Department.objects.select_related("parent").filter(pk=department_id).first()
    if department is None or (not department.is_active and not can_see_retired(user)):
        raise Http404("department not found")
    return department


# --- Writes -------------------------------------------------------------------------------------------------
#
# Every writer of departments and memberships — a person, the HR import (`importer_apply`), a reshuffle on its
# effective date (`reshuffle.apply_reshuffle`), and later SCIM — goes through these, so each change leaves the
# same audit entry (one per object, `org.department.*` / `org.membership.*`) and the same announcement
# (`kiban.org.changes`, published as `org.changed` by the realtime app). The bulk variants take lists (the
# import's 100,000 rows cost a few statements per thousand); the single variants are the same code with one item.
# Each runs in the caller's transaction when there is one (all or nothing), else in its own. `context` is
# extra detail written into every audit entry (`via="import"`, the source file, the reshuffle and its
# effective date).

BATCH = 1000
DEPARTMENT_FIELDS = ("name", "name_kana", "order", "extension", "email", "is_active")
MEMBERSHIP_FIELDS = ("title", "is_primary", "is_head", "rank")


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    order: int = 0
    parent_code: str = ""


def _batches(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _codes(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({pk for pk in ids if pk is not None})
    found: dict[int, str] = {}
    for chunk in _batches(wanted):
        found.update(Department.objects.filter(pk__in=chunk).values_list("pk", "code"))
    return found


def _usernames(ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    for chunk in _batches(wanted):
        found.update(Staff.objects.filter(pk__in=chunk).values_list("pk", "username"))
    return found


def _check_tree(moved_ids: Iterable[int]) -> None:
    """Refuse a tree in which walking up from a moved department comes back to it (the database only forbids
    a department being its own parent). Departments are few (thousands): one query."""
    parent_of = dict(Department.objects.values_list("pk", "parent_id"))
    codes = None
    for start in moved_ids:
        seen = {start}
        current = parent_of.get(start)
        while current is not None:
            if current in seen:
                codes = codes or _codes([start])
                raise ValidationError(
                    {
                        "parent": _("上位所属をたどると循環します(%(code)s)")
                        % {"code": codes.get(start, start)}
                    }
                )
            seen.add(current)
            current = parent_of.get(current)


def do_create_departments(
    specs: list[DepartmentSpec], *, actor=None, actor_username: str = "", **context
) -> dict[str, int]:
    """Create departments; a parent may be one of them (parents are set in a second pass). Returns their ids
    by code. A code in use, an unknown parent or a cycle raises ValidationError naming the field, nothing
    written."""
    if not specs:
        return {}
    with transaction.atomic():
        codes = [spec.code for spec in specs]
        errors: dict[str, str] = {}
        if any(not spec.code.strip() for spec in specs) or len(set(codes)) != len(codes):
            errors["code"] = _("所属コードが空か重複しています")
        if any(not spec.name.strip() for spec in specs):
            errors["name"] = _("所属名を入力してください")
        taken = [
            c
            for chunk in _batches(codes)
            for c in Department.objects.filter(code__in=chunk).values_list("code", flat=True)
        ]
        if taken:
            errors["code"] = _("所属コード %(code)s は使われています") % {"code": taken[0]}
        parent_codes = sorted({spec.parent_code for spec in specs if spec.parent_code} - set(codes))
        known = dict(Department.objects.filter(code__in=parent_codes).values_list("code", "pk"))
        missing = [code for code in parent_codes if code not in known]
        if missing:
            errors["parent"] = _("上位所属 %(code)s がありません") % {"code": missing[0]}
        if errors:
            raise ValidationError(errors)
        Department.objects.bulk_create(
            [Department(code=spec.code, name=spec.name, order=spec.order) for spec in specs], batch_size=BATCH
        )
        ids = {
            code: pk
            for chunk in _batches(codes)
            for code, pk in Department.objects.filter(code__in=chunk).values_list("code", "pk")
        }
        known.update(ids)
        parents = [
            Department(pk=ids[spec.code], parent_id=known[spec.parent_code])
            for spec in specs
            if spec.parent_code
        ]
        Department.objects.bulk_update(parents, ["parent"], batch_size=BATCH)
        _check_tree(ids[spec.code] for spec in specs if spec.parent_code)
        record_many(
            "org.department.create",
            (
                Target("org.department", str(ids[spec.code]), f"{spec.code} {spec.name}",
                       {"code": spec.code, "name": spec.name, "parent": spec.parent_code, "order": spec.order})
                for spec in specs
            ),
            actor=actor, actor_username=actor_username, **context,
        )  # fmt: skip
        changes.announce(department_ids=ids.values())
    return ids


def do_update_departments(
    updates: list[tuple[int, dict]], *, actor=None, actor_username: str = "", **context
) -> int:
    """Change departments' own fields (name, kana, order, contact, `is_active=True` to reopen one): each
    `(id, {field: new value})`. Unknown fields raise ValidationError; unchanged values are skipped. Returns
    how many departments changed."""
    if not updates:
        return 0
    unknown = sorted({name for _pk, fields in updates for name in fields} - set(DEPARTMENT_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: _("この項目は変更できません")})
    with transaction.atomic():
        wanted = dict(updates)
        current = {
            row["pk"]: row
            for chunk in _batches(list(wanted))
            for row in Department.objects.filter(pk__in=chunk).values(
                "pk", "code", "name", *DEPARTMENT_FIELDS
            )
        }
        grouped: dict[tuple[str, ...], list[Department]] = defaultdict(list)
        targets: list[Target] = []
        for pk, fields in wanted.items():
            row = current.get(pk)
            if row is None:
                raise ValidationError({"department": _("所属がありません")})
            changed = {name: [row[name], value] for name, value in fields.items() if row[name] != value}
            if not changed:
                continue
            grouped[tuple(sorted(changed))].append(
                Department(pk=pk, **{n: v for n, (_o, v) in changed.items()})
            )
            targets.append(
                Target(
                    "org.department",
                    str(pk),
                    f"{row['code']} {fields.get('name', row['name'])}",
                    {"changes": changed},
                )
            )
        for names, departments in grouped.items():
            Department.objects.bulk_update(departments, list(names), batch_size=BATCH)
        record_many("org.department.update", targets, actor=actor, actor_username=actor_username, **context)
        changes.announce(department_ids=[int(t.id) for t in targets])
    return len(targets)


def do_move_departments(
    moves: list[tuple[int, int | None]], *, actor=None, actor_username: str = "", **context
) -> int:
    """Put departments under another parent (None: the top level): each `(id, parent id)`. A move that makes
    the tree circular raises ValidationError on `parent`, nothing written. Returns how many moved."""
    if not moves:
        return 0
    with transaction.atomic():
        wanted = dict(moves)
        current = {
            pk: (code, name, parent_id)
            for chunk in _batches(list(wanted))
            for pk, code, name, parent_id in Department.objects.filter(pk__in=chunk).values_list(
                "pk", "code", "name", "parent_id"
            )
        }
        if len(current) != len(wanted):
            raise ValidationError({"department": _("所属がありません")})
        moving = [(pk, parent) for pk, parent in wanted.items() if current[pk][2] != parent]
        codes = _codes([parent for _pk, parent in moving] + [current[pk][2] for pk, _p in moving])
        if any(parent is not None and parent not in codes for _pk, parent in moving):
            raise ValidationError({"parent": _("上位所属がありません")})
        Department.objects.bulk_update(
            [Department(pk=pk, parent_id=parent) for pk, parent in moving], ["parent"], batch_size=BATCH
        )
        _check_tree(pk for pk, _parent in moving)
        record_many(
            "org.department.move",
            (
                Target("org.department", str(pk), f"{current[pk][0]} {current[pk][1]}",
                       {"from": codes.get(current[pk][2], ""), "to": codes.get(parent, "")})
                for pk, parent in moving
            ),
            actor=actor, actor_username=actor_username, **context,
        )  # fmt: skip
        changes.announce(department_ids=[pk for pk, _parent in moving])
    return len(moving)


def do_close_departments(ids: list[int], *, actor=None, actor_username: str = "", **context) -> int:
    """Close (廃止) departments: `is_active` off. Their members stay (a department file may be applied before
    the staff file that moves people out). Returns how many were open."""
    if not ids:
        return 0
    with transaction.atomic():
        closing = [
            row
            for chunk in _batches(sorted(set(ids)))
            for row in Department.objects.filter(pk__in=chunk, is_active=True).values_list(
                "pk", "code", "name"
            )
        ]
        for chunk in _batches([pk for pk, _c, _n in closing]):
            Department.objects.filter(pk__in=chunk).update(is_active=False)
        record_many(
            "org.department.close",
            (Target("org.department", str(pk), f"{code} {name}") for pk, code, name in closing),
            actor=actor, actor_username=actor_username, **context,
        )  # fmt: skip
        changes.announce(department_ids=[pk for pk, _c, _n in closing])
    return len(closing)


def _membership_fields(fields: dict) -> dict:
    unknown = sorted(set(fields) - set(MEMBERSHIP_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: _("この項目は変更できません")})
    values = dict(fields)
    if "title" in values and "rank" not in values:
        values["rank"] = rank_for_title(values["title"])
    return values


def do_add_memberships(
    rows: list[tuple[int, int, dict]], *, actor=None, actor_username: str = "", **context
) -> list[int]:
    """Give people places in departments: each `(staff id, department id, {title, is_primary, is_head})` (the
    rank follows the title unless given). A second 本務 or a second place in one department is refused by the
    database's constraints (IntegrityError; the caller's transaction rolls back). Returns the new ids."""
    if not rows:
        return []
    with transaction.atomic():
        created = Membership.objects.bulk_create(
            [Membership(staff_id=s, department_id=d, **_membership_fields(f)) for s, d, f in rows],
            batch_size=BATCH,
        )
        names = _usernames(m.staff_id for m in created)
        codes = _codes(m.department_id for m in created)
        record_many(
            "org.membership.add",
            (
                Target("org.membership", str(m.pk), f"{names[m.staff_id]} @ {codes[m.department_id]}",
                       {"title": m.title, "primary": m.is_primary, "head": m.is_head})
                for m in created
            ),
            actor=actor, actor_username=actor_username, **context,
        )  # fmt: skip
        changes.announce(
            department_ids=[m.department_id for m in created], staff_ids=[m.staff_id for m in created]
        )
    return [m.pk for m in created]


def do_update_memberships(
    updates: list[tuple[int, dict]], *, actor=None, actor_username: str = "", **context
) -> int:
    """Change memberships' title, 本務 or 所属長 (the rank follows the title unless given): each
    `(membership id, fields)`. Rows losing 本務 are written before rows gaining it, so the one-本務 constraint
    holds after every statement (PostgreSQL checks it row by row). Returns how many changed."""
    if not updates:
        return 0
    with transaction.atomic():
        wanted = {pk: _membership_fields(fields) for pk, fields in updates}
        current = {
            row["pk"]: row
            for chunk in _batches(list(wanted))
            for row in Membership.objects.filter(pk__in=chunk).values(
                "pk", "staff_id", "department_id", "staff__username", "department__code", *MEMBERSHIP_FIELDS
            )
        }
        if len(current) != len(wanted):
            raise ValidationError({"membership": _("所属メンバーがありません")})
        changed: dict[int, dict] = {}
        for pk, fields in wanted.items():
            diff = {
                name: [current[pk][name], value]
                for name, value in fields.items()
                if current[pk][name] != value
            }
            if diff:
                changed[pk] = diff
        for gaining in (False, True):
            batch = [
                Membership(
                    pk=pk,
                    **{name: current[pk][name] for name in MEMBERSHIP_FIELDS}
                    | {n: v for n, (_o, v) in diff.items()},
                )
                for pk, diff in changed.items()
                if (diff.get("is_primary", [None, current[pk]["is_primary"]])[1] is True) is gaining
            ]
            Membership.objects.bulk_update(batch, list(MEMBERSHIP_FIELDS), batch_size=BATCH)
        record_many(
            "org.membership.update",
            (
                Target("org.membership", str(pk), f"{current[pk]['staff__username']} @ {current[pk]['department__code']}",
                       {"changes": diff})
                for pk, diff in changed.items()
            ),
            actor=actor, actor_username=actor_username, **context,
        )  # fmt: skip
        changes.announce(
            department_ids=[current[pk]["department_id"] for pk in changed],
            staff_ids=[current[pk]["staff_id"] for pk in changed],
        )
    return len(changed)


def do_end_memberships(ids: list[int], *, actor=None, actor_username: str = "", **context) -> int:
    """End memberships (a person leaves a department). Returns how many existed."""
    if not ids:
        return 0
    with transaction.atomic():
        ending = [
            row
            for chunk in _batches(sorted(set(ids)))
            for row in Membership.objects.filter(pk__in=chunk).values_list(
                "pk", "staff_id", "department_id", "staff__username", "department__code", "title"
            )
        ]
        for chunk in _batches([row[0] for row in ending]):
            Membership.objects.filter(pk__in=chunk).delete()
        record_many(
            "org.membership.end",
            (Target("org.membership", str(pk), f"{username} @ {code}", {"title": title})
             for pk, _s, _d, username, code, title in ending),
            actor=actor, actor_username=actor_username, **context,
        )  # fmt: skip
        changes.announce(department_ids=[row[2] for row in ending], staff_ids=[row[1] for row in ending])
    return len(ending)


# Single-object forms, for pages and future writers.


def do_create_department(
    code: str, name: str, *, parent: Department | None = None, order: int = 0, actor=None, **context
) -> Department:
    ids = do_create_departments(
        [DepartmentSpec(code, name, order, parent.code if parent else "")], actor=actor, **context
    )
    return Department.objects.get(pk=ids[code])


def do_update_department(department: Department, fields: dict, *, actor=None, **context) -> bool:
    return bool(do_update_departments([(department.pk, fields)], actor=actor, **context))


def do_move_department(department: Department, parent: Department | None, *, actor=None, **context) -> bool:
    return bool(do_move_departments([(department.pk, parent.pk if parent else None)], actor=actor, **context))


def do_close_department(department: Department, *, actor=None, **context) -> bool:
    return bool(do_close_departments([department.pk], actor=actor, **context))


def do_add_membership(staff, department: Department, *, actor=None, **fields) -> Membership:
    (pk,) = do_add_memberships([(staff.pk, department.pk, fields)], actor=actor)
    return Membership.objects.get(pk=pk)


def do_end_membership(membership: Membership, *, actor=None, **context) -> bool:
    return bool(do_end_memberships([membership.pk], actor=actor, **context))
