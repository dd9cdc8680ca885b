"""The safety dashboard's live event (found by `kiban.realtime.catalogue`)."""

from __future__ import annotations

from typing import Literal

from kiban.realtime.events import BaseEvent


class SafetyProgress(BaseEvent):
    """Answers arrived (or the check closed): a dashboard viewer fetches its own counts again
    (`GET /api/v1/safety/checks/{id}/summary`, which applies the viewer's permissions). Sent to the check's
    administrators and to the heads of the sections it asks, at most once per `actions.PROGRESS_EVERY`
    whatever the number of answers; it carries no counts, so nobody learns of sections they may not see."""

    type: Literal["safety.progress"] = "safety.progress"
    check: int
    open: bool
