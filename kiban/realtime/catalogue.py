"""Every WebSocket event type of the installation, gathered from the modules.

A module keeps its event types in its own `<app>/events.py` (Pydantic models subclassing
`kiban.realtime.events.BaseEvent`, `extra="forbid"`, a `type` literal in the "noun.verb" form); the platform's
own (messages, conversations, notifications, calendar) are in `kiban/realtime/events.py`. Nothing central lists
them: `event_types()` imports each module's `events` and checks that no two models claim one `type`.
"""

from __future__ import annotations

import functools
import importlib

from kiban.core import modules
from kiban.realtime import events


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _import_modules_events() -> None:
    for module in modules.modules():
        try:
            importlib.import_module(f"{module.name}.events")
        except ModuleNotFoundError as exc:
            if exc.name != f"{module.name}.events":
                raise


@functools.cache
def event_types() -> dict[str, type[events.BaseEvent]]:
    """`{"message.created": MessageCreated, …}` for every module's event types."""
    _import_modules_events()
    return _by_type(events.BaseEvent)


@functools.cache
def client_message_types() -> dict[str, type[events.ClientMessage]]:
    """The client → server messages of every module (`kiban.realtime.events.ClientMessage` subclasses)."""
    _import_modules_events()
    return _by_type(events.ClientMessage)


def _by_type(base: type) -> dict:
    catalogue: dict = {}
    for model in _subclasses(base):
        name = model.model_fields["type"].default
        if not isinstance(name, str):
            continue  # an abstract intermediate class without its own literal
        if name in catalogue and catalogue[name] is not model:
            raise RuntimeError(f"event type {name!r} is declared twice: {catalogue[name]} and {model}")
        catalogue[name] = model
    return catalogue
