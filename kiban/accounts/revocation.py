"""Telling the layers above, at once, that some people's credentials ended (a token revoked, a browser signed
out, a person retired), so that what they hold open — WebSockets — closes now instead of at the next check.

`accounts` sits below `realtime` (import-linter layers), so it cannot publish an event itself: the realtime app
registers a listener when it loads (`kiban/realtime/apps.py`), and the actions here call `announce` after the
change. A listener receives the user ids and must not raise; it runs in the caller's thread, inside the
caller's transaction (publish() delivers after commit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

logger = logging.getLogger("kiban.accounts")

_listeners: list[Callable[[list[int]], None]] = []


def listen(listener: Callable[[list[int]], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def announce(user_ids: Iterable[int]) -> None:
    ids = sorted({int(pk) for pk in user_ids if pk is not None})
    if not ids:
        return
    for listener in list(_listeners):
        try:
            listener(ids)
        except Exception:  # a listener's failure must not undo the sign-out; the periodic check remains
            logger.exception("credential revocation listener failed")
