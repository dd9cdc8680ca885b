"""Telling the layers above that the organisation changed (departments created, renamed, moved or closed;
people's memberships added, changed or ended), whoever wrote it: a person, the HR import, a reshuffle.

`org` sits below `realtime` (import-linter layers), so it cannot publish an event itself: the realtime app
registers a listener when it loads (`kiban/realtime/apps.py`), as it does for `kiban.accounts.revocation`.
The org actions call `announce` inside their transaction; a listener must not raise, and what it publishes is
delivered after the commit (and not at all if the transaction rolls back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

logger = logging.getLogger("kiban.org")


@dataclass(frozen=True)
class OrgChange:
    """Departments whose name, place in the tree or state changed, and people whose memberships changed."""

    department_ids: tuple[int, ...] = ()
    staff_ids: tuple[int, ...] = ()


_listeners: list[Callable[[OrgChange], None]] = []


def listen(listener: Callable[[OrgChange], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def announce(*, department_ids: Iterable[int] = (), staff_ids: Iterable[int] = ()) -> None:
    change = OrgChange(
        tuple(sorted({int(pk) for pk in department_ids if pk is not None})),
        tuple(sorted({int(pk) for pk in staff_ids if pk is not None})),
    )
    if not change.department_ids and not change.staff_ids:
        return
    for listener in list(_listeners):
        try:
            listener(change)
        except Exception:  # the change itself stands; clients see it at their next read
            logger.exception("organisation change listener failed")
