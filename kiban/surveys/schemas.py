"""The survey and inquiry objects, once: the API answers with `SurveyOut` / `InquiryOut` (and its parts), and
`survey_out` / `inquiry_out` build them from the models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp
from kiban.surveys.models import Inquiry, InquiryFile, InquiryTarget, Recipient, Survey


class QuestionOut(OutSchema):
    id: int
    kind: str
    text: str
    choices: list[str]
    required: bool
    scale_min: int
    scale_max: int


class SurveyOut(OutSchema):
    id: int
    title: str
    description: str
    author: str
    anonymous: bool
    audience: dict
    deadline: Timestamp | None
    created_at: Timestamp
    closed_at: Timestamp | None
    open: bool
    questions: list[QuestionOut]
    answered: bool | None = Field(description="whether the caller has answered (null when not asked)")
    answers: dict | None = Field(
        None, description="the caller's current answers (named surveys; anonymous ones with `edit_key`)"
    )


def survey_out(survey: Survey, user, *, answers: dict | None = None) -> SurveyOut:
    """The survey as `user` sees it (`answered`, and `answers` when given)."""
    recipient = (
        Recipient.objects.filter(survey=survey, staff_id=user.pk).values_list("answered", flat=True).first()
    )
    return SurveyOut(
        id=survey.pk,
        title=survey.title,
        description=survey.description,
        author=survey.author.get_username(),
        anonymous=survey.anonymous,
        audience=survey.audience,
        deadline=survey.deadline,
        created_at=survey.created_at,
        closed_at=survey.closed_at,
        open=survey.is_open(),
        questions=[
            QuestionOut(
                id=q.pk,
                kind=q.kind,
                text=q.text,
                choices=q.choices,
                required=q.required,
                scale_min=q.scale_min,
                scale_max=q.scale_max,
            )
            for q in survey.questions.all()
        ],
        answered=recipient,
        answers=answers,
    )


# --- Inquiries (照会) -------------------------------------------------------------------------------------


class InquiryFileOut(OutSchema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class DepartmentRefOut(OutSchema):
    id: int
    name: str


class PersonRefOut(OutSchema):
    username: str
    name: str


class InquiryTargetOut(OutSchema):
    """One addressed section's state and answer."""

    department: DepartmentRefOut
    state: Literal["unanswered", "answered", "returned"]
    state_label: str
    body: str
    answered_by: str | None = Field(description="the answerer's name")
    answered_at: Timestamp | None
    return_comment: str
    files: list[InquiryFileOut]


class InquiryOut(OutSchema):
    """An inquiry as the caller sees it: every section (sender) or the caller's sections (an addressee)."""

    id: int
    title: str
    body: str
    sender: PersonRefOut
    sender_department: str | None
    deadline: Timestamp | None
    created_at: Timestamp
    closed_at: Timestamp | None
    is_sender: bool
    files: list[InquiryFileOut]
    targets: list[InquiryTargetOut]


class InquiryRemindOut(OutSchema):
    reminded_sections: int


def inquiry_file_out(f: InquiryFile) -> InquiryFileOut:
    return InquiryFileOut(
        id=f.pk, name=f.name, size=f.size, content_type=f.content_type, url=f"/api/v1/inquiries/files/{f.pk}"
    )


def inquiry_target_out(t: InquiryTarget) -> InquiryTargetOut:
    return InquiryTargetOut(
        department=DepartmentRefOut(id=t.department_id, name=t.department.name),
        state=t.state,
        state_label=t.get_state_display(),
        body=t.body,
        answered_by=t.answered_by.get_full_name() if t.answered_by_id else None,
        answered_at=t.answered_at,
        return_comment=t.return_comment,
        files=[inquiry_file_out(f) for f in t.files.all()],
    )


def inquiry_out(inquiry: Inquiry, targets: list[InquiryTarget], user) -> InquiryOut:
    return InquiryOut(
        id=inquiry.pk,
        title=inquiry.title,
        body=inquiry.body,
        sender=PersonRefOut(username=inquiry.sender.get_username(), name=inquiry.sender.get_full_name()),
        sender_department=inquiry.sender_department.name if inquiry.sender_department_id else None,
        deadline=inquiry.deadline,
        created_at=inquiry.created_at,
        closed_at=inquiry.closed_at,
        is_sender=inquiry.sender_id == user.pk,
        files=[inquiry_file_out(f) for f in inquiry.files.all()],
        targets=[inquiry_target_out(t) for t in targets],
    )
