"""GET /api/v1/portal: the person's dashboard, the same sections as the home page."""

from __future__ import annotations

from ninja import Router

from kiban.core.schemas import dump
from kiban.portal import sections
from kiban.portal.schemas import PanelOut, PortalOut

router = Router(tags=["portal"])


@router.get("/portal", response=PortalOut, summary="The caller's portal: today and each module's section")
def portal(request):
    """One key per section under `panels` (each module's own `data` schema), in the page's order (`order`);
    `counts` has the badge number of each section that has one. A module whose section fails is left out."""
    shown = sections.collect(request)
    panels = {
        item.key: PanelOut(
            title=str(item.section.title),
            url=item.section.url,
            count=item.section.count,
            data=dump(item.section.data) or {},
        )
        for item in shown
    }
    return PortalOut(
        today=sections.today_out(),
        order=[item.key for item in shown],
        panels=panels,
        counts={item.key: item.section.count for item in shown if item.section.count is not None},
    )
