"""HR import, planning: the parsed rows (`importer_parse`) checked against each other and against the
organisation as it is now, and every change computed (`ImportPlan`), with its preview lines. Nothing is
written here; `importer_apply` writes a plan through the org and accounts actions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.org.importer_parse import (
    DEPARTMENT_COLUMNS,
    DEPARTMENTS,
    STAFF_COLUMNS,
    DepartmentRow,
    ImportFailed,
    ParsedFile,
    RowError,
    StaffRow,
)
from kiban.org.models import Department, Membership
from kiban.org.titles import rank_for_title

STAFF_FIELDS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana", "romaji", "email", "extension",
    "mobile", "title",
)  # fmt: skip
IDENTITY_FIELDS = STAFF_FIELDS[:-1]  # the same on every row of one person (title is per membership)
DEPARTMENT_FIELDS = ("name", "parent", "order")


def _field_label(name: str) -> str:
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
