"""The portal's 決裁件数 section: how many approvals wait for the person in each external system."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core.modules import PortalSection
from kiban.integrations.queries import approval_counts_of
from kiban.integrations.schemas import ApprovalsPanelOut, SystemCountOut


def panel(request) -> PortalSection | None:
    rows = approval_counts_of(request.user)
    if not rows:
        return None
    systems = [SystemCountOut(name=s.name, label=s.label, url=s.url, pending=n) for s, n in rows]
    total = sum(s.pending for s in systems)
    return PortalSection(
        title=_("決裁件数"),
        template="integrations/portal.html",
        data=ApprovalsPanelOut(total=total, systems=systems),
        count=total,
    )
