"""The portal's safety section: the open checks this person has not answered, first on the page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from kiban.core import modules
from kiban.core.schemas import OutSchema, Timestamp
from kiban.safety import queries


class PortalCheck(OutSchema):
    id: int
    title: str
    started_at: Timestamp
    url: str = Field(description="the answer page")


class SafetyPortal(OutSchema):
    checks: list[PortalCheck]


def panel(request) -> modules.PortalSection | None:
    targets = queries.open_for(request.user)
    if not targets:
        return None
    data = SafetyPortal(checks=[
        PortalCheck(id=t.safety_check_id, title=t.safety_check.title, started_at=t.safety_check.started_at,
                    url=f"/safety/{t.safety_check_id}/")
        for t in targets
    ])  # fmt: skip
    return modules.PortalSection(
        title=_("安否確認（回答してください）"), template="safety/portal.html", data=data, url="/safety/",
        count=len(targets),
    )  # fmt: skip
