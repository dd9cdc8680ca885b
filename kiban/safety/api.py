"""Safety confirmation API (CONTRACT.md "safety check"): start, list, read, answer (or answer for someone),
summary, close; additions: remind, CSV export, templates."""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from kiban.core import paging
from kiban.safety import actions, queries
from kiban.safety.models import SafetyTemplate
from kiban.safety.schemas import (
    AnswerOut,
    CheckOut,
    SummaryOut,
    TemplateOut,
    answer_out,
    check_out,
    summary_out,
    template_out,
)

router = Router(tags=["safety"])


class CheckIn(Schema):
    title: str = Field("", description="the disaster's name (災害名); not needed with `template`")
    message: str = ""
    departments: list[int] | None = Field(None, description="absent or empty: all staff")
    template: int | None = Field(None, description="start from this template (its title, message, audience)")


class AnswerIn(Schema):
    status: str = Field(description="safe (無事), minor (軽傷) or serious (重傷)")
    can_work: bool = Field(description="出勤可 (true) or 不可 (false)")
    comment: str | None = None
    username: str | None = Field(
        None, description="answer for this person (their section head or an administrator)"
    )


class TemplateIn(Schema):
    name: str
    title: str
    message: str = ""
    departments: list[int] = Field(default_factory=list, description="empty: all staff")


class SummaryQuery(Schema):
    limit: int = Field(200, ge=1, le=queries.UNANSWERED_MAX, description="unanswered usernames per page")
    offset: int = Field(0, ge=0)


def _closed(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except actions.Closed as exc:
            raise HttpError(409, _("この安否確認は締め切られました。回答できません。")) from exc

    return wrapped


def _dashboard(request, check_id: int) -> actions.Access:
    access = actions.access_check(request.user, check_id)
    if not access.can_view_dashboard:
        raise PermissionDenied(_("集計を見られるのは管理者と所属長だけです。"))
    return access


@router.post(
    "/safety/checks", response={201: CheckOut}, summary="Start a safety check (administrators, 防災担当)"
)
def start_check(request: HttpRequest, payload: CheckIn):
    if payload.template is not None:
        if not actions.is_safety_admin(request.user):
            raise PermissionDenied(_("安否確認を開始できるのは管理者と防災担当だけです。"))
        template = SafetyTemplate.objects.filter(pk=payload.template).first()
        if template is None:
            raise HttpError(400, _("template: 存在しないテンプレートです。"))
        check = actions.do_start_from_template(request.user, template)
    else:
        check = actions.do_start_check(
            request.user, title=payload.title, message=payload.message, departments=payload.departments
        )
    return Status(
        201, check_out(check, request.user, queries.my_targets(request.user, [check.pk]).get(check.pk))
    )


@router.get(
    "/safety/checks", response=paging.Page[CheckOut], summary="Checks the caller is asked or may watch"
)
def list_checks(request: HttpRequest, page: Query[paging.PageQuery]):
    admin = actions.is_safety_admin(request.user)
    checks = queries.checks_for(
        request.user, admin=admin, scope=set() if admin else actions.headed_scope(request.user)
    )
    result = paging.page(checks, page)
    mine = queries.my_targets(request.user, [c.pk for c in result["results"]])
    result["results"] = [check_out(c, request.user, mine.get(c.pk)) for c in result["results"]]
    return result


@router.get("/safety/checks/{int:check_id}", response=CheckOut, summary="A check, with the caller's answer")
def get_check(request: HttpRequest, check_id: int):
    access = actions.access_check(request.user, check_id)
    return check_out(access.check, request.user, access.target)


@router.post("/safety/checks/{int:check_id}/answer", response=AnswerOut,
             summary="Answer, or correct the answer (username: for a member, by their section head)")  # fmt: skip
@_closed
def answer(request: HttpRequest, check_id: int, payload: AnswerIn):
    access = actions.access_check(request.user, check_id)
    target = actions.do_answer(
        request.user, access.check, status=payload.status, can_work=payload.can_work, comment=payload.comment,
        username=payload.username, own=access.target,
    )  # fmt: skip
    return answer_out(target, payload.username or request.user.get_username(), request.user.get_username())


@router.get("/safety/checks/{int:check_id}/summary", response=SummaryOut,
            summary="Counts overall and by department (sub-departments rolled up); who has not answered")  # fmt: skip
def check_summary(request: HttpRequest, check_id: int, page: Query[SummaryQuery]):
    access = _dashboard(request, check_id)
    scope = None if access.admin else access.scope
    counts = queries.summary(access.check, scope)
    names, more = queries.unanswered_usernames(access.check, scope, limit=page.limit, offset=page.offset)
    return summary_out(counts, names, more)


@router.post("/safety/checks/{int:check_id}/remind", response=dict,
             summary="Remind those who have not answered (a section head: their sections)")  # fmt: skip
@_closed
def remind(request: HttpRequest, check_id: int):
    access = _dashboard(request, check_id)
    return {"reminded": actions.do_remind(request.user, access)}


@router.post(
    "/safety/checks/{int:check_id}/close", response=CheckOut, summary="Close a check (it stays readable)"
)
def close(request: HttpRequest, check_id: int):
    access = actions.access_check(request.user, check_id)
    return check_out(actions.do_close(request.user, access.check), request.user, access.target)


@router.get(
    "/safety/checks/{int:check_id}/answers.csv",
    summary="Everyone asked with their answer (CSV, UTF-8 with BOM)",
)
def export_csv(request: HttpRequest, check_id: int):
    access = _dashboard(request, check_id)
    return csv_response(access)


def csv_response(access: actions.Access) -> HttpResponse:
    data = queries.csv_bytes(access.check, None if access.admin else access.scope)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{access.check.title}.csv")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/safety/templates", response=paging.Page[TemplateOut], summary="Templates (administrators, 防災担当)"
)
def list_templates(request: HttpRequest, page: Query[paging.PageQuery]):
    if not actions.is_safety_admin(request.user):
        raise PermissionDenied(_("テンプレートを管理できるのは管理者と防災担当だけです。"))
    return paging.page(SafetyTemplate.objects.order_by("name", "pk"), page, template_out)


@router.post("/safety/templates", response={201: TemplateOut}, summary="Prepare a template")
def create_template(request: HttpRequest, payload: TemplateIn):
    template = actions.do_save_template(
        request.user, name=payload.name, title=payload.title, message=payload.message,
        departments=payload.departments,
    )  # fmt: skip
    return Status(201, template_out(template))
