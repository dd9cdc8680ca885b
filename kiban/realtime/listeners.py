"""What the realtime app does for the layers below it, which cannot publish themselves: `accounts` announces
ended credentials (`hub.credentials_changed`), `org` announces organisation changes (here). Registered in
`RealtimeConfig.ready`; a listener runs in the announcing action's transaction and publishes after commit."""

from __future__ import annotations

from kiban.org.changes import OrgChange
from kiban.org.models import Membership
from kiban.realtime import publish
from kiban.realtime.events import OrgChanged

BATCH = 1000


def org_changed(change: OrgChange) -> None:
    """One `org.changed` for everyone concerned: the members of the changed departments (as they are after
    the change) and the people whose places changed (who may have left them)."""
    recipients = set(change.staff_ids)
    departments = list(change.department_ids)
    for start in range(0, len(departments), BATCH):
        recipients.update(
            Membership.objects.filter(department_id__in=departments[start : start + BATCH]).values_list(
                "staff_id", flat=True
            )
        )
    publish(recipients, OrgChanged(departments=departments))
