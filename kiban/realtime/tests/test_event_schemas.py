"""Every event type of the installation is a closed schema: its payload objects are the modules' object
schemas (extra="forbid" all the way down), not free dicts."""

from __future__ import annotations

import types
import typing

from pydantic import BaseModel

from kiban.realtime.catalogue import event_types

# Payloads that are free on purpose, each with its reason.
OPAQUE = {
    # WebRTC negotiation, relayed as the browser sent it; the server never reads it.
    ("meeting.signal", "data"),
    # Being reshaped by the fan-out work (no member lists); they move to kiban/chat/events.py with a schema.
    ("conversation.created", "conversation"),
    ("conversation.updated", "conversation"),
}


def _models_in(annotation) -> list[type[BaseModel]]:
    """The pydantic models an annotation refers to (through list[...], X | None, …)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _is_free_dict(annotation) -> bool:
    if annotation is dict or typing.get_origin(annotation) is dict:
        return True
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        return any(_is_free_dict(arg) for arg in typing.get_args(annotation))
    return False


def _check(model: type[BaseModel], event: str, path: str, seen: set) -> list[str]:
    problems = []
    if model in seen:
        return problems
    seen.add(model)
    if model.model_config.get("extra") != "forbid":
        problems.append(f"{event}: {path or 'the event'} ({model.__name__}) does not forbid extra fields")
    for name, field in model.model_fields.items():
        where = f"{path}.{name}" if path else name
        if _is_free_dict(field.annotation) and (event, where) not in OPAQUE:
            problems.append(f"{event}: {where} is a free dict, not a schema")
        for sub in _models_in(field.annotation):
            problems.extend(_check(sub, event, where, seen))
    return problems


def test_every_event_type_is_a_closed_schema():
    catalogue = event_types()
    assert {"message.created", "reaction.added", "notification.created", "meeting.roster"} <= set(catalogue)
    problems = [p for name, model in catalogue.items() for p in _check(model, name, "", set())]
    assert problems == []


def test_the_check_finds_a_free_payload():
    class Loose(BaseModel):
        type: str = "loose.thing"
        thing: dict[str, typing.Any]

    assert _check(Loose, "loose.thing", "", set()) == [
        "loose.thing: the event (Loose) does not forbid extra fields",
        "loose.thing: thing is a free dict, not a schema",
    ]
