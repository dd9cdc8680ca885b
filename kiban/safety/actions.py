"""Writes to safety checks: start (from a template or not), answer (for oneself or, as a section head or an
administrator, for someone who phoned in), remind, close; and the templates.

`access_check(user, id)` fetches and authorises: administrators (IT or 防災担当) see every check, a person
asked sees their check, a section head sees the checks that ask their sections (the dashboard of those
sections only). For anyone else the check does not exist (404).
"""

from __future__ import annotations

import datetime as dt
import functools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.core import audit
from kiban.core.jobs import enqueue_on_commit
from kiban.core.permissions import is_it_admin
from kiban.org import queries as org_queries
from kiban.org.models import Department, Membership
from kiban.safety.jobs import announce_check, push_progress, remind_check
from kiban.safety.models import SafetyCheck, SafetyTemplate, Status, Target

TITLE_MAX, MESSAGE_MAX, COMMENT_MAX, NAME_MAX = 200, 5000, 1000, 100
# At most one dashboard update per check this often, however many answer (the first answer after an update
# schedules the next one; the job sends it).
PROGRESS_EVERY = dt.timedelta(seconds=2)


class Closed(Exception):
    """The check was closed: it stays readable but takes no answers (409)."""


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def validation_detail(error: ValidationError) -> str:
    return "; ".join(f"{f}: {' '.join(m)}" for f, m in error.message_dict.items())


def is_safety_admin(user) -> bool:
    """IT administrators, and people given 防災担当 (the `safety.manage_checks` permission, usually through
    the group of that name managed in the Django admin)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_it_admin(user) or user.has_perm("safety.manage_checks")


def headed_scope(user) -> set[int]:
    """Departments whose dashboard a section head sees: those they head (本務 or 兼務) and everything below."""
    headed = list(Membership.objects.filter(staff=user, is_head=True).values_list("department_id", flat=True))
    return org_queries.subtree_ids(headed) if headed else set()


class Access:
    """What the caller may do with a check. `admin` and `scope` are worked out when first asked: answering
    one's own check (the burst after a disaster) needs neither."""

    def __init__(self, user, check: SafetyCheck, target: Target | None) -> None:
        self.user, self.check, self.target = user, check, target

    @functools.cached_property
    def admin(self) -> bool:
        return is_safety_admin(self.user)

    @functools.cached_property
    def scope(self) -> set[int] | None:
        """Departments of the dashboard the caller sees: None for all (administrators), else the sections
        they head that this check asks (empty: no dashboard)."""
        if self.admin:
            return None
        scope = headed_scope(self.user)
        if scope and not Target.objects.filter(safety_check=self.check, department_id__in=scope).exists():
            return set()
        return scope

    @property
    def can_view_dashboard(self) -> bool:
        return self.admin or bool(self.scope)


def own_target(check: SafetyCheck, staff_id: int) -> Target | None:
    """The person's row of the check, through the unique (check, staff) index. Not `.first()`: its ORDER BY
    id lets SQLite walk the primary key instead (8 ms instead of 0.1 at 5,000 rows)."""
    try:
        return Target.objects.get(safety_check=check, staff_id=staff_id)
    except Target.DoesNotExist:
        return None


def access_check(user, check_id: int) -> Access:
    check = SafetyCheck.objects.select_related("started_by").filter(pk=check_id).first()
    if check is None:
        raise Http404
    access = Access(user, check, own_target(check, user.pk))
    if access.target is None and not access.can_view_dashboard:
        raise Http404
    return access


# --- Starting a check ----------------------------------------------------------------------------------


def _clean_departments(raw, field: str = "departments") -> list[int]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw):
        raise field_error(field, _("所属のIDのリストで指定してください。"))
    if len(raw) > 500:
        raise field_error(field, _("所属は500件までです。"))
    ids = sorted(set(raw))
    known = set(Department.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    missing = [i for i in ids if i not in known]
    if missing:
        raise field_error(field, _("存在しない所属です: %(ids)s") % {"ids": missing})
    return ids


def resolve_audience(department_ids: list[int]) -> list[tuple[int, int | None]]:
    """(staff id, the department they are counted under) for every active person asked: all staff when no
    department is given, else the members (本務 and 兼務) of the departments and everything below them. A
    person counts under their primary section when it is in the audience, else under the first 兼務 that is."""
    memberships = Membership.objects.filter(staff__is_active=True).order_by(
        "-is_primary", "department__order", "department__code"
    )
    if department_ids:
        memberships = memberships.filter(department_id__in=org_queries.subtree_ids(department_ids))
    counted: dict[int, int | None] = {}
    for staff_id, department_id in memberships.values_list("staff_id", "department_id"):
        counted.setdefault(staff_id, department_id)
    if not department_ids:
        for staff_id in Staff.objects.filter(is_active=True).values_list("pk", flat=True):
            counted.setdefault(staff_id, None)
    return sorted(counted.items())


def _clean_text(title: str, message: str) -> tuple[str, str]:
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise field_error("title", _("件名を%(max)d文字以内で入力してください。") % {"max": TITLE_MAX})
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise field_error("message", _("メッセージは%(max)d文字以内です。") % {"max": MESSAGE_MAX})
    return title, message


def do_start_check(
    user, *, title: str, message: str = "", departments: list[int] | None = None,
    template: SafetyTemplate | None = None,
) -> SafetyCheck:  # fmt: skip
    """Start a check: its audience is fixed now (one `Target` per person, bulk-inserted in this
    transaction), then, after commit, a job notifies everyone in-app and by email."""
    if not is_safety_admin(user):
        raise PermissionDenied(_("安否確認を開始できるのは管理者と防災担当だけです。"))
    title, message = _clean_text(title, message)
    department_ids = _clean_departments(departments)
    people = resolve_audience(department_ids)
    if not people:
        raise field_error("departments", _("対象者がいません。"))
    with transaction.atomic():
        check = SafetyCheck.objects.create(
            title=title, message=message, started_by=user, template=template,
            audience={"departments": department_ids} if department_ids else {"all": True},
        )  # fmt: skip
        Target.objects.bulk_create(
            [Target(safety_check=check, staff_id=s, department_id=d) for s, d in people], batch_size=1000
        )
        audit.record("safety.start", actor=user, target=check, audience=len(people), title=title)
        enqueue_on_commit(announce_check, check.pk)
    return check


def do_start_from_template(user, template: SafetyTemplate) -> SafetyCheck:
    """One step: the template's title, message and audience (departments that no longer exist are left out)."""
    known = set(
        Department.objects.filter(pk__in=template.departments, is_active=True).values_list("pk", flat=True)
    )
    departments = [d for d in template.departments if d in known]
    if template.departments and not departments:
        raise field_error(
            "departments", _("テンプレートの対象所属がもうありません。テンプレートを直してください。")
        )
    return do_start_check(
        user, title=template.title, message=template.message, departments=departments, template=template
    )


# --- Answers ---------------------------------------------------------------------------------------------


def parse_can_work(value) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise field_error("can_work", _("出勤できるかどうかを選んでください。"))


def _may_answer_for(user, person: Staff, target: Target) -> bool:
    """A head of the person's section — of the section they are counted under or of any of their sections,
    or of a department above (the section heads of `org.queries.heads_of` up the tree, as on the dashboard)
    — or an administrator."""
    if is_safety_admin(user):
        return True
    scope = headed_scope(user)
    sections = {target.department_id, *org_queries.section_ids_of(person)} - {None}
    return bool(scope & sections)


def do_answer(user, check: SafetyCheck, *, status, can_work, comment: str | None = "",
              username: str | None = None, own: Target | None = None) -> Target:  # fmt: skip
    """Record or correct an answer: an UPDATE of the person's own row (the database holds one per person,
    so a double submit leaves one answer). `username` answers for someone else (代理回答): their section head
    or an administrator; who answered for whom is kept and audited. Closed checks refuse (`Closed`); the
    closed test is part of the UPDATE, so an answer racing the close either lands before it or is refused."""
    if status not in Status.values:
        raise field_error("status", _("safe（無事）、minor（軽傷）、serious（重傷）のいずれかです。"))
    can_work = parse_can_work(can_work)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise field_error("comment", _("コメントは%(max)d文字以内です。") % {"max": COMMENT_MAX})
    if username and username != user.get_username():
        person = Staff.objects.filter(username=username, is_active=True).first()
        target = own_target(check, person.pk) if person else None
        if target is None:
            raise Http404(_("username: この安否確認の対象者ではありません。"))
        if not _may_answer_for(user, person, target):
            raise PermissionDenied(_("username: 代理回答ができるのは所属長と管理者だけです。"))
    else:
        person = user
        target = own if own is not None else own_target(check, user.pk)
        if target is None:
            raise Http404(_("この安否確認の対象ではありません。"))
    now = timezone.now()
    with transaction.atomic():
        updated = Target.objects.filter(pk=target.pk, safety_check__closed_at__isnull=True).update(
            status=status, can_work=can_work, comment=comment, answered_at=now, answered_by=user
        )
        if not updated:
            raise Closed
        if person.pk != user.pk:
            audit.record("safety.proxy_answer", actor=user, target=check, person=person.get_username(),
                         status=status, can_work=can_work)  # fmt: skip
        if SafetyCheck.objects.filter(pk=check.pk, progress_due__isnull=True).update(
            progress_due=now + PROGRESS_EVERY
        ):
            enqueue_on_commit(push_progress, check.pk, run_after=now + PROGRESS_EVERY)
    target.status, target.can_work, target.comment = status, can_work, comment
    target.answered_at, target.answered_by = now, user
    return target


# --- Reminders and closing ------------------------------------------------------------------------------


def do_remind(user, access: Access) -> int:
    """Remind whoever has not answered: everyone (administrators) or the caller's sections (section heads).
    Returns how many; the notifications and emails go out from a job."""
    if not access.can_view_dashboard:
        raise PermissionDenied(_("督促できるのは管理者と所属長だけです。"))
    check = access.check
    if not check.is_open:
        raise Closed
    pending = Target.objects.filter(safety_check=check, status="")
    scope = None if access.admin else sorted(access.scope or ())
    if scope is not None:
        pending = pending.filter(department_id__in=scope)
    count = pending.count()
    with transaction.atomic():
        SafetyCheck.objects.filter(pk=check.pk).update(reminded_at=timezone.now())
        audit.record("safety.remind", actor=user, target=check, count=count)
        if count:
            enqueue_on_commit(remind_check, check.pk, scope)
    return count


def do_close(user, check: SafetyCheck) -> SafetyCheck:
    if not is_safety_admin(user):
        raise PermissionDenied(_("締め切れるのは管理者と防災担当だけです。"))
    with transaction.atomic():
        if SafetyCheck.objects.filter(pk=check.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), closed_by=user
        ):
            audit.record("safety.close", actor=user, target=check)
            enqueue_on_commit(push_progress, check.pk)
    check.refresh_from_db()
    return check


# --- Templates --------------------------------------------------------------------------------------------


def _require_admin(user) -> None:
    if not is_safety_admin(user):
        raise PermissionDenied(_("テンプレートを管理できるのは管理者と防災担当だけです。"))


def do_save_template(user, *, name: str, title: str, message: str = "", departments=None,
                     template: SafetyTemplate | None = None) -> SafetyTemplate:  # fmt: skip
    _require_admin(user)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise field_error(
            "name", _("テンプレート名を%(max)d文字以内で入力してください。") % {"max": NAME_MAX}
        )
    title, message = _clean_text(title, message)
    department_ids = _clean_departments(departments)
    clash = SafetyTemplate.objects.filter(name=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise field_error("name", _("同じ名前のテンプレートがあります。"))
    with transaction.atomic():
        if template is None:
            template = SafetyTemplate(created_by=user)
        template.name, template.title, template.message = name, title, message
        template.departments, template.updated_at = department_ids, timezone.now()
        template.save()
        audit.record("safety.template_save", actor=user, target=template, name=name)
    return template


def do_delete_template(user, template: SafetyTemplate) -> None:
    _require_admin(user)
    with transaction.atomic():
        audit.record("safety.template_delete", actor=user, target=template, name=template.name)
        template.delete()
