"""The safety check objects, once: the API answers with these and the tests compare against them."""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp
from kiban.safety.models import SafetyCheck, SafetyTemplate, Target
from kiban.safety.queries import Summary


class AnswerOut(OutSchema):
    username: str
    status: str = Field(description="safe, minor or serious")
    can_work: bool
    comment: str
    answered_at: Timestamp
    answered_by: str = Field(description="who gave the answer (the person, or their proxy)")


class CheckOut(OutSchema):
    id: int
    title: str
    message: str
    audience: dict = Field(description='{"all": true} or {"departments": [ids]} (sub-departments included)')
    started_by: str
    started_at: Timestamp
    closed_at: Timestamp | None
    open: bool
    answer: AnswerOut | None = Field(
        description="the caller's current answer (null: not answered or not asked)"
    )
    asked: bool = Field(description="whether the caller is in the audience")


class DepartmentSummary(OutSchema):
    id: int
    name: str
    audience: int
    answered: int
    parent: int | None = Field(description="the parent department when it is listed too (roll-up)")


class SummaryOut(OutSchema):
    audience: int
    answered: int
    by_status: dict[str, int]
    can_work: dict[str, int] = Field(description='answers by 出勤可否: {"yes": n, "no": n}')
    departments: list[DepartmentSummary] = Field(description="each counts its sub-departments too")
    unanswered: list[str] = Field(description="usernames of those who have not answered (one page)")
    unanswered_more: bool = Field(description="more unanswered follow (ask again with offset + limit)")


class TemplateOut(OutSchema):
    id: int
    name: str
    title: str
    message: str
    departments: list[int]


def answer_out(target: Target, username: str, answered_by: str) -> AnswerOut | None:
    if not target.status:
        return None
    return AnswerOut(
        username=username, status=target.status, can_work=bool(target.can_work), comment=target.comment,
        answered_at=target.answered_at, answered_by=answered_by,
    )  # fmt: skip


def check_out(check: SafetyCheck, user, target: Target | None) -> CheckOut:
    answer = None
    if target is not None and target.status:
        by = (
            user.get_username()
            if target.answered_by_id == user.pk
            else (target.answered_by.get_username() if target.answered_by else "")
        )
        answer = answer_out(target, user.get_username(), by)
    return CheckOut(
        id=check.pk, title=check.title, message=check.message, audience=check.audience,
        started_by=check.started_by.get_username(), started_at=check.started_at, closed_at=check.closed_at,
        open=check.is_open, answer=answer, asked=target is not None,
    )  # fmt: skip


def summary_out(summary: Summary, unanswered: list[str], more: bool) -> SummaryOut:
    return SummaryOut(
        audience=summary.audience, answered=summary.answered, by_status=summary.by_status,
        can_work=summary.can_work,
        departments=[
            DepartmentSummary(id=d.id, name=d.name, audience=d.audience, answered=d.answered, parent=d.parent)
            for d in summary.departments
        ],
        unanswered=unanswered, unanswered_more=more,
    )  # fmt: skip


def template_out(template: SafetyTemplate) -> TemplateOut:
    return TemplateOut(
        id=template.pk, name=template.name, title=template.title, message=template.message,
        departments=list(template.departments),
    )  # fmt: skip
