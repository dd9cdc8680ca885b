"""HR import (`kiban import-staff`): parse → validate → plan → apply, all or nothing.

`parse_csv` (importer_parse) reads the file; `build_plan` checks the rows against each other and against the
organisation as it is now and computes every change; `apply_plan` writes the plan in one transaction with
bulk operations (100,000 rows). Nothing is written unless every row is valid.

Judgements made here (documented in the command's help too):
- A person in a staff file gets exactly the memberships of their rows: rows are the person's whole
  assignment after the import (人事異動), so a membership missing from the rows is removed.
- With `--full`, a person absent from the file is retired: is_active=False, retired_at set, their memberships
  removed (a retired person must not appear as a department's member or head, nor in approval routes; the
  import's audit entry and preview keep what they were), their sessions and API tokens revoked. IT
  administrator and superuser accounts are never retired by an import (HR files do not list the `admin`
  account; an import must not lock the administrators out) — the preview lists them as skipped.
- With `--full`, a department absent from the file is retired (is_active=False). Its remaining members are
  kept, so a department file can be applied before the staff file that moves people out of it.
- A person or department present in the file but retired is re-activated.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts import actions as accounts_actions
from kiban.accounts.models import SEARCH_FIELDS, Staff
from kiban.core.audit import record
from kiban.org.importer_parse import (
    DEPARTMENTS,
    DepartmentRow,
    ImportFailed,
    ParsedFile,
    RowError,
    StaffRow,
    parse_csv,
)
from kiban.org.models import Department, Membership

__all__ = [
    "ImportFailed",
    "ImportPlan",
    "RowError",
    "apply_plan",
    "build_plan",
    "parse_csv",
    "rank_for_title",
    "run_import",
]

BATCH = 1000

# 職位順: lower sorts first inside a department. An explicit table of the titles a prefecture uses, each
# with its own place: 副課長, 課長代理 and 課長補佐 rank below 課長, 副主幹 below 主幹. A title not in the table is
# read by the longest table title it ends with, when what precedes is a qualifier or an organisation's name
# (総務課長 → 課長, 総括課長補佐 → 課長補佐) but not 副 (an unknown 副… is not the one it deputises); a
# title with 兼 ranks as its highest part (課長補佐兼係長 → 課長補佐).
TITLE_RANKS = {
    "知事": 1, "副知事": 2, "教育長": 5, "局長": 10, "部長": 10, "事務局長": 10, "会計管理者": 10,
    "理事": 12, "副局長": 15, "副部長": 15, "次長": 20, "所長": 25, "副所長": 27, "参事": 28,
    "課長": 30, "室長": 30, "副参事": 33, "副課長": 34, "副室長": 34, "課長代理": 35, "室長代理": 35,
    "課長補佐": 40, "室長補佐": 40, "主幹": 42, "副主幹": 45, "係長": 50, "班長": 50, "主査": 60,
    "主任主事": 70, "主任技師": 70, "主任": 70, "主事": 80, "技師": 80, "主事補": 85, "技手": 85,
    "会計年度任用職員": 95,
}  # fmt: skip
DEFAULT_RANK = 100
_TITLES_LONGEST_FIRST = sorted(TITLE_RANKS, key=len, reverse=True)


def rank_for_title(title: str) -> int:
    title = title.strip()
    if "兼" in title:
        return min(rank_for_title(part) for part in title.split("兼"))
    if title in TITLE_RANKS:
        return TITLE_RANKS[title]
    for known in _TITLES_LONGEST_FIRST:
        if title.endswith(known):
            return DEFAULT_RANK if title[: -len(known)].endswith("副") else TITLE_RANKS[known]
    return DEFAULT_RANK


STAFF_FIELDS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana", "romaji", "email", "extension",
    "mobile", "title",
)  # fmt: skip
IDENTITY_FIELDS = STAFF_FIELDS[:-1]  # the same on every row of one person (title is per membership)
DEPARTMENT_FIELDS = ("name", "parent", "order")


def _field_label(name: str) -> str:
    from kiban.org.importer_parse import DEPARTMENT_COLUMNS, STAFF_COLUMNS

    return _(
        {**DEPARTMENT_COLUMNS, "parent": "上位所属", **STAFF_COLUMNS, "is_active": "在職"}.get(name, name)
    )


@dataclass
class Person:
    """The rows of one username, merged."""

    username: str
    line: int
    values: dict[str, str | None]
    memberships: list[StaffRow] = field(default_factory=list)


@dataclass
class ImportPlan:
    source: str
    kind: str
    full: bool
    # departments
    dept_create: list[DepartmentRow] = field(default_factory=list)
    dept_update: list[tuple[int, str, dict[str, tuple]]] = field(default_factory=list)  # id, code, changes
    dept_retire: list[tuple[int, str, str, int]] = field(default_factory=list)  # id, code, name, members
    # staff
    staff_create: list[Person] = field(default_factory=list)
    staff_update: list[tuple[int, Person, dict[str, tuple]]] = field(default_factory=list)
    staff_retire: list[tuple[int, str, str]] = field(default_factory=list)  # id, username, name
    skipped_admins: list[str] = field(default_factory=list)
    # memberships: username → (old description, new description), and the rows to write
    moves: dict[str, tuple[str, str]] = field(default_factory=dict)
    membership_delete: list[int] = field(default_factory=list)
    membership_update: list[tuple[int, dict]] = field(default_factory=list)
    membership_create: list[tuple[str, int, dict]] = field(default_factory=list)  # username, dept id, fields
    people: dict[str, Person] = field(default_factory=dict)
    department_names: dict[int, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        if self.kind == DEPARTMENTS:
            return {
                "departments_created": len(self.dept_create),
                "departments_changed": len(self.dept_update),
                "departments_retired": len(self.dept_retire),
            }
        return {
            "staff_created": len(self.staff_create),
            "staff_changed": len(self.staff_update),
            "staff_retired": len(self.staff_retire),
            "staff_moved": len(self.moves),
        }

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())

    def preview_lines(self) -> list[str]:
        """Every change, one line each: `+` creation, `~` change, `>` membership move, `-` retirement."""
        lines: list[str] = []
        if self.kind == DEPARTMENTS:
            lines.append(
                _(
                    "所属: 新規 %(departments_created)d件、変更 %(departments_changed)d件、廃止 %(departments_retired)d件"
                )
                % self.counts()
            )
            for row in self.dept_create:
                parent = row.parent_code or "-"
                lines.append(
                    _("+ 所属 %(code)s %(name)s(上位 %(parent)s、表示順 %(order)s)")
                    % {"code": row.code, "name": row.name, "parent": parent, "order": row.order or 0}
                )
            for _id, code, changes in self.dept_update:
                lines.extend(_change_lines(_("所属"), code, changes))
            for _id, code, name, members in self.dept_retire:
                line = _("- 所属 %(code)s %(name)s: 廃止") % {"code": code, "name": name}
                if members:
                    line += _("(所属職員 %(n)d人が残っています)") % {"n": members}
                lines.append(line)
            return lines
        lines.append(
            _(
                "職員: 新規 %(staff_created)d人、変更 %(staff_changed)d人、所属変更 %(staff_moved)d人、退職 %(staff_retired)d人"
            )
            % self.counts()
        )
        for person in self.staff_create:
            lines.append(
                _("+ 職員 %(username)s %(name)s(%(kana)s)%(where)s")
                % {
                    "username": person.username,
                    "name": f"{person.values['family_name']} {person.values['given_name']}",
                    "kana": f"{person.values['family_name_kana']} {person.values['given_name_kana']}",
                    "where": self.moves.get(person.username, ("", ""))[1],
                }
            )
        for _id, person, changes in self.staff_update:
            label = f"{person.username} {person.values['family_name']} {person.values['given_name']}"
            lines.extend(_change_lines(_("職員"), label, changes))
        created = {p.username for p in self.staff_create}
        for username, (old, new) in self.moves.items():
            if username not in created:
                person = self.people[username]
                lines.append(
                    _("> 職員 %(username)s %(name)s: 所属 %(old)s → %(new)s")
                    % {
                        "username": username,
                        "name": f"{person.values['family_name']} {person.values['given_name']}",
                        "old": old or "-",
                        "new": new,
                    }
                )
        for _id, username, name in self.staff_retire:
            lines.append(_("- 職員 %(username)s %(name)s: 退職") % {"username": username, "name": name})
        for username in self.skipped_admins:
            lines.append(
                _("! 職員 %(username)s: ファイルにありませんが管理者アカウントのため退職にしません")
                % {"username": username}
            )
        return lines


def _show(value) -> str:
    if value is None or value == "":
        return _("(空)")
    if value is True:
        return _("はい")
    if value is False:
        return _("いいえ")
    return str(value)


def _change_lines(what: str, label: str, changes: dict[str, tuple]) -> list[str]:
    return [
        f"~ {what} {label}: {_field_label(name)} {_show(old)} → {_show(new)}"
        for name, (old, new) in changes.items()
    ]


# --- Planning ---------------------------------------------------------------------------------------------


def build_plan(
    parsed: ParsedFile, *, full: bool = False, extra_department_codes: set[str] | None = None
) -> ImportPlan:
    """Validate `parsed` against the organisation as it is now and compute every change.

    `extra_department_codes`: departments that will exist by the time a stored reshuffle applies (created
    by earlier pending reshuffles), so a staff file may refer to them. Raises ImportFailed with every error.
    """
    plan = ImportPlan(source=parsed.source, kind=parsed.kind, full=full)
    errors = list(parsed.errors)
    if parsed.kind == DEPARTMENTS:
        _plan_departments(parsed, plan, errors)
    else:
        _plan_staff(parsed, plan, errors, extra_department_codes or set())
    if errors:
        errors.sort(key=lambda e: e.line)
        raise ImportFailed(errors)
    return plan


def _plan_departments(parsed: ParsedFile, plan: ImportPlan, errors: list[RowError]) -> None:
    existing = {
        d["code"]: d
        for d in Department.objects.values("id", "code", "name", "parent_id", "order", "is_active")
    }
    code_by_id = {d["id"]: code for code, d in existing.items()}
    rows: dict[str, DepartmentRow] = {}
    for row in parsed.rows:
        if row.code in rows:
            message = _("所属コード %(code)s が重複しています(%(line)d 行目と同じ)") % {
                "code": row.code,
                "line": rows[row.code].line,
            }
            errors.append(RowError(parsed.source, row.line, parsed.label("code"), message))
            continue
        rows[row.code] = row

    # The tree after the import: the database's parents, overridden by the file's.
    parent_of = {code: code_by_id.get(d["parent_id"], "") for code, d in existing.items()}
    for code, row in rows.items():
        parent_of[code] = row.parent_code
    for code, row in rows.items():
        if not row.parent_code:
            continue
        parent = existing.get(row.parent_code)
        if row.parent_code not in rows:
            if parent is None:
                message = _("上位所属 %(code)s がありません") % {"code": row.parent_code}
            elif plan.full:
                message = _("上位所属 %(code)s がファイルになく、廃止されます") % {"code": row.parent_code}
            elif not parent["is_active"]:
                message = _("上位所属 %(code)s は廃止されています") % {"code": row.parent_code}
            else:
                message = ""
            if message:
                errors.append(RowError(parsed.source, row.line, parsed.label("parent_code"), message))
                continue
        seen = {code}
        current = row.parent_code
        while current:
            if current in seen:
                message = _("上位所属をたどると循環します(%(code)s)") % {"code": current}
                errors.append(RowError(parsed.source, row.line, parsed.label("parent_code"), message))
                break
            seen.add(current)
            current = parent_of.get(current, "")

    for code, row in rows.items():
        current = existing.get(code)
        if current is None:
            plan.dept_create.append(row)
            continue
        changes: dict[str, tuple] = {}
        if current["name"] != row.name:
            changes["name"] = (current["name"], row.name)
        old_parent = code_by_id.get(current["parent_id"], "")
        if old_parent != row.parent_code:
            changes["parent"] = (old_parent, row.parent_code)
        if row.order is not None and current["order"] != row.order:
            changes["order"] = (current["order"], row.order)
        if not current["is_active"]:
            changes["is_active"] = (False, True)
        if changes:
            plan.dept_update.append((current["id"], code, changes))
    if plan.full:
        retiring = [d for code, d in existing.items() if code not in rows and d["is_active"]]
        member_counts = defaultdict(int)
        for department_id in Membership.objects.filter(
            department_id__in=[d["id"] for d in retiring]
        ).values_list("department_id", flat=True):
            member_counts[department_id] += 1
        plan.dept_retire = [(d["id"], d["code"], d["name"], member_counts[d["id"]]) for d in retiring]


def _describe(memberships: list[tuple[str, str, bool, bool]]) -> str:
    """`人事課(課長・本務・所属長), 企画課(主査)` — the primary first."""
    parts = []
    for name, title, primary, head in sorted(memberships, key=lambda m: (not m[2], m[0])):
        notes = [title] if title else []
        notes.append(_("本務") if primary else _("兼務"))
        if head:
            notes.append(_("所属長"))
        parts.append(f"{name}({'・'.join(notes)})")
    return ", ".join(parts)


def _plan_staff(parsed: ParsedFile, plan: ImportPlan, errors: list[RowError], extra_codes: set[str]) -> None:
    source = parsed.source
    departments = {d["code"]: d for d in Department.objects.values("id", "code", "name", "is_active")}
    # Departments a pending reshuffle will create: placeholders, good for validation and the preview only
    # (such a plan is stored, never applied; it is rebuilt on the effective date).
    for index, code in enumerate(sorted(extra_codes - departments.keys())):
        departments[code] = {"id": -1 - index, "code": code, "name": code, "is_active": True}
    plan.department_names = {d["id"]: d["name"] for d in departments.values()}

    def error(line: int, name: str, message: str) -> None:
        errors.append(RowError(source, line, parsed.label(name), message))

    people: dict[str, Person] = {}
    heads: dict[str, int] = {}
    for row in parsed.rows:
        department = departments.get(row.department_code)
        if department is None:
            error(
                row.line,
                "department_code",
                _("所属コード %(code)s がありません") % {"code": row.department_code},
            )
        elif not department["is_active"]:
            error(
                row.line,
                "department_code",
                _("所属 %(code)s は廃止されています") % {"code": row.department_code},
            )
        values = {name: getattr(row, name) for name in IDENTITY_FIELDS}
        person = people.get(row.username)
        if person is None:
            person = people[row.username] = Person(username=row.username, line=row.line, values=values)
        else:
            for name in IDENTITY_FIELDS:
                if values[name] != person.values[name]:
                    message = _("同じ職員の %(line)d 行目と値が違います(%(a)s / %(b)s)") % {
                        "line": person.line,
                        "a": _show(person.values[name]),
                        "b": _show(values[name]),
                    }
                    error(row.line, name, message)
        for other in person.memberships:
            if other.department_code == row.department_code:
                message = _("同じ所属が %(line)d 行目にもあります") % {"line": other.line}
                error(row.line, "department_code", message)
            if row.primary and other.primary:
                message = _("本務が重複しています(%(line)d 行目も本務)") % {"line": other.line}
                error(row.line, "primary", message)
        if row.head:
            if row.department_code in heads:
                message = _("所属長が重複しています(%(line)d 行目も所属長)") % {
                    "line": heads[row.department_code]
                }
                error(row.line, "head", message)
            else:
                heads[row.department_code] = row.line
        person.memberships.append(row)
    for person in people.values():
        if not any(m.primary for m in person.memberships):
            error(person.line, "primary", _("本務の行がありません(どれか一つを 1 にしてください)"))
    plan.people = people

    existing = {
        s["username"]: s
        for s in Staff.objects.values(
            "id", "username", "is_active", "is_staff", "is_superuser", "retired_at", *STAFF_FIELDS
        )
    }
    # An address already used by someone else (who keeps it) would route their mail to this person.
    emails: dict[str, str] = {}
    for s in existing.values():
        keeps = s["username"] not in people and s["is_active"] and not (plan.full and _retirable(s))
        if keeps and s["email"]:
            emails[s["email"].lower()] = s["username"]
    for person in people.values():
        email = (person.values["email"] or "").lower()
        other = emails.get(email)
        if other is not None and other != person.username:
            error(
                person.line,
                "email",
                _("%(email)s は職員 %(other)s が使っています") % {"email": email, "other": other},
            )
        else:
            emails[email] = person.username
    if errors:
        return

    department_ids = {code: d["id"] for code, d in departments.items()}
    memberships_by_staff: dict[int, dict[int, dict]] = defaultdict(dict)
    for m in Membership.objects.values(
        "id", "staff_id", "department_id", "title", "is_primary", "is_head", "rank"
    ):
        memberships_by_staff[m["staff_id"]][m["department_id"]] = m

    for person in people.values():
        primary = next(m for m in person.memberships if m.primary)
        wanted = dict(person.values, title=primary.title)
        current = existing.get(person.username)
        if current is None:
            plan.staff_create.append(person)
            old_memberships: dict[int, dict] = {}
        else:
            changes = {}
            for name in STAFF_FIELDS:
                if wanted[name] is not None and wanted[name] != current[name]:
                    changes[name] = (current[name], wanted[name])
            if not current["is_active"]:
                changes["is_active"] = (False, True)
            if changes:
                plan.staff_update.append((current["id"], person, changes))
            old_memberships = memberships_by_staff.get(current["id"], {})
        _plan_memberships(plan, person, department_ids, old_memberships)

    if plan.full:
        for username, s in existing.items():
            if username in people or not s["is_active"]:
                continue
            if not _retirable(s):
                plan.skipped_admins.append(username)
                continue
            plan.staff_retire.append((s["id"], username, f"{s['family_name']} {s['given_name']}".strip()))
            plan.membership_delete.extend(m["id"] for m in memberships_by_staff.get(s["id"], {}).values())


def _retirable(staff_values: dict) -> bool:
    return not (staff_values["is_staff"] or staff_values["is_superuser"])


def _plan_memberships(
    plan: ImportPlan, person: Person, department_ids: dict[str, int], old: dict[int, dict]
) -> None:
    wanted: dict[int, dict] = {}
    for row in person.memberships:
        wanted[department_ids[row.department_code]] = {
            "title": row.title,
            "is_primary": row.primary,
            "is_head": row.head,
            "rank": rank_for_title(row.title),
        }
    changed = False
    for department_id, m in old.items():
        if department_id not in wanted:
            plan.membership_delete.append(m["id"])
            changed = True
    for department_id, fields in wanted.items():
        m = old.get(department_id)
        if m is None:
            plan.membership_create.append((person.username, department_id, fields))
            changed = True
        elif any(m[name] != value for name, value in fields.items()):
            plan.membership_update.append((m["id"], fields))
            # A rank recomputed from an unchanged title is bookkeeping, not a move worth previewing.
            changed = changed or any(m[name] != fields[name] for name in ("title", "is_primary", "is_head"))
    if changed:
        names = plan.department_names
        plan.moves[person.username] = (
            _describe([(names[d], m["title"], m["is_primary"], m["is_head"]) for d, m in old.items()]),
            _describe([(names[d], f["title"], f["is_primary"], f["is_head"]) for d, f in wanted.items()]),
        )


# --- Applying -------------------------------------------------------------------------------------------


def apply_plan(
    plan: ImportPlan, *, actor=None, actor_username: str = "", reshuffle_id: int | None = None
) -> dict:
    """Write the plan in one transaction and record the audit entry. Returns the counts.

    The plan must have been built just before, in the same transaction when the caller needs to exclude
    concurrent changes (the reshuffle job does); the CLI accepts the small window between the preview
    and the write.
    """
    with transaction.atomic():
        if plan.kind == DEPARTMENTS:
            _apply_departments(plan)
        else:
            _apply_staff(plan, actor=actor, actor_username=actor_username)
        counts = plan.counts()
        record(
            "org.import.apply",
            actor=actor,
            actor_username=actor_username,
            target_type="org.import",
            target_repr=plan.source,
            kind=plan.kind,
            full=plan.full,
            reshuffle=reshuffle_id,
            **counts,
        )
    return counts


def _apply_departments(plan: ImportPlan) -> None:
    new = [Department(code=row.code, name=row.name, order=row.order or 0) for row in plan.dept_create]
    Department.objects.bulk_create(new, batch_size=BATCH)
    ids = dict(Department.objects.values_list("code", "id"))
    # Parents are set in a second pass: a new department's parent may be created in the same file.
    parents: list[Department] = []
    for row in plan.dept_create:
        if row.parent_code:
            parents.append(Department(id=ids[row.code], parent_id=ids[row.parent_code]))
    Department.objects.bulk_update(parents, ["parent"], batch_size=BATCH)
    updated: dict[str, list[Department]] = defaultdict(list)
    for department_id, _code, changes in plan.dept_update:
        department = Department(id=department_id)
        for name, (_old, value) in changes.items():
            if name == "parent":
                department.parent_id = ids[value] if value else None
            else:
                setattr(department, name, value)
        # Grouped by the set of changed fields so that each UPDATE touches only what changed.
        updated[",".join(sorted(changes))].append(department)
    for key, departments in updated.items():
        Department.objects.bulk_update(departments, key.split(","), batch_size=BATCH)
    retired = [department_id for department_id, *_rest in plan.dept_retire]
    for start in range(0, len(retired), BATCH):
        Department.objects.filter(id__in=retired[start : start + BATCH]).update(is_active=False)


def _apply_staff(plan: ImportPlan, *, actor=None, actor_username: str = "") -> None:
    from kiban.org.search import reindex_staff

    now = timezone.now()
    new_staff = []
    for person in plan.staff_create:
        primary = next(m for m in person.memberships if m.primary)
        values = {k: v for k, v in person.values.items() if v is not None}
        staff = Staff(username=person.username, title=primary.title, **values)
        # Imported people sign in once an administrator sets a password (or SSO maps them).
        staff.set_unusable_password()
        staff.refresh_search_fields()
        new_staff.append(staff)
    Staff.objects.bulk_create(new_staff, batch_size=BATCH)
    ids = _ids_by_username([p.username for p in plan.staff_create])

    updated = _load_and_change(plan)
    for key, people in updated.items():
        fields = key.split(",") + list(SEARCH_FIELDS)
        if "is_active" in fields:
            fields.append("retired_at")
        Staff.objects.bulk_update(people, fields, batch_size=BATCH)

    # Memberships: removals first, then rows losing 本務, then rows gaining it, then new rows, so that the
    # one-primary-per-person constraint holds after every statement (PostgreSQL checks it row by row).
    for start in range(0, len(plan.membership_delete), BATCH):
        Membership.objects.filter(id__in=plan.membership_delete[start : start + BATCH]).delete()
    for gaining in (False, True):
        rows = [
            Membership(id=membership_id, **fields)
            for membership_id, fields in plan.membership_update
            if fields["is_primary"] is gaining
        ]
        Membership.objects.bulk_update(rows, ["title", "is_primary", "is_head", "rank"], batch_size=BATCH)
    ids.update(_ids_by_username([u for u, _d, _f in plan.membership_create if u not in ids]))
    Membership.objects.bulk_create(
        [
            Membership(staff_id=ids[username], department_id=department_id, **fields)
            for username, department_id, fields in plan.membership_create
        ],
        batch_size=BATCH,
    )

    retired = [staff_id for staff_id, _u, _n in plan.staff_retire]
    for start in range(0, len(retired), BATCH):
        # Through the accounts action, so a retirement by import ends sessions and tokens and is audited
        # per person exactly like any other.
        accounts_actions.do_retire_staff(
            retired[start : start + BATCH], at=now, actor=actor, actor_username=actor_username
        )

    reindex_staff(list(ids.values()) + [staff_id for staff_id, _p, _c in plan.staff_update])


def _load_and_change(plan: ImportPlan) -> dict[str, list[Staff]]:
    changes_by_id = {staff_id: changes for staff_id, _person, changes in plan.staff_update}
    updated: dict[str, list[Staff]] = defaultdict(list)
    staff_ids = list(changes_by_id)
    for start in range(0, len(staff_ids), BATCH):
        for staff in Staff.objects.filter(pk__in=staff_ids[start : start + BATCH]):
            changes = changes_by_id[staff.pk]
            for name, (_old, value) in changes.items():
                setattr(staff, name, value)
            if "is_active" in changes:
                staff.retired_at = None
            staff.refresh_search_fields()
            updated[",".join(sorted(changes))].append(staff)
    return updated


def _ids_by_username(usernames: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(usernames), BATCH):
        ids.update(
            Staff.objects.filter(username__in=usernames[start : start + BATCH]).values_list("username", "id")
        )
    return ids


# --- One call for the command ------------------------------------------------------------------------------


def read_file(path: str) -> ParsedFile:
    with open(path, "rb") as f:
        data = f.read()
    return parse_csv(data, path)


def run_import(
    path: str, *, full: bool = False, dry_run: bool = False, actor=None, actor_username: str = ""
) -> tuple[ImportPlan, dict | None]:
    """Parse, validate, plan and (unless `dry_run`) apply. Raises ImportFailed; nothing applied then."""
    plan = build_plan(read_file(path), full=full)
    if dry_run or plan.is_empty:
        return plan, None
    return plan, apply_plan(plan, actor=actor, actor_username=actor_username)


def tokyo_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())
