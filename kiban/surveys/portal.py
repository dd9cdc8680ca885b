"""The portal's アンケート・照会 section: open surveys waiting for the person's answer and open inquiries
waiting for one of their sections (`kiban.surveys.queries`)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kiban.core.modules import PortalSection
from kiban.core.schemas import OutSchema, Timestamp
from kiban.surveys.queries import inquiries_to_answer, surveys_to_answer

MAX_SHOWN = 5


class WaitingItemOut(OutSchema):
    id: int
    title: str
    deadline: Timestamp | None
    url: str


class WaitingAnswersOut(OutSchema):
    surveys: list[WaitingItemOut]
    inquiries: list[WaitingItemOut]
    more: bool


def panel(request) -> PortalSection | None:
    user = request.user
    surveys = surveys_to_answer(user, limit=MAX_SHOWN + 1)
    inquiries = inquiries_to_answer(user, limit=MAX_SHOWN + 1)
    if not surveys and not inquiries:
        return None
    data = WaitingAnswersOut(
        surveys=[
            WaitingItemOut(
                id=s.pk, title=s.title, deadline=s.deadline, url=reverse("surveys:answer", args=[s.pk])
            )
            for s in surveys[:MAX_SHOWN]
        ],
        inquiries=[
            WaitingItemOut(
                id=i.pk, title=i.title, deadline=i.deadline, url=reverse("surveys:inquiry", args=[i.pk])
            )
            for i in inquiries[:MAX_SHOWN]
        ],
        more=len(surveys) > MAX_SHOWN or len(inquiries) > MAX_SHOWN,
    )
    return PortalSection(
        title=_("回答を待つアンケート・照会"),
        template="surveys/portal.html",
        data=data,
        url=reverse("surveys:index"),
        count=len(data.surveys) + len(data.inquiries),
    )
