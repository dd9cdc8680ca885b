"""Live events of phone memos. `presence.changed` is declared in `kiban.realtime.events` (with `PresenceOut`)."""

from __future__ import annotations

from typing import Literal

from kiban.presence.schemas import PhoneMemoOut
from kiban.realtime.events import BaseEvent


class PhoneMemoCreated(BaseEvent):
    """To the person the memo is for (their memo list and badge update at once)."""

    type: Literal["phone_memo.created"] = "phone_memo.created"
    memo: PhoneMemoOut


class PhoneMemoUpdated(BaseEvent):
    """Read or done: to the person it is for (their other devices) and to the taker (who sees it was read)."""

    type: Literal["phone_memo.updated"] = "phone_memo.updated"
    memo: PhoneMemoOut
