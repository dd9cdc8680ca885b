"""The survey object, once: the API answers with `SurveyOut` and `survey_out` builds it from the model."""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp
from kiban.surveys.models import Recipient, Survey


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
