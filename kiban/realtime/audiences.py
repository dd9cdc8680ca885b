"""Audiences: an event addressed to "the members of X as of this moment" instead of a list of ids.

A publish to thousands of people must not cost the request per person (issue 8: an `@channel` to 5,000
members at most 3× a plain post to 10). `publish(Audience("chat.members", conv_id, upto), event)` stores the
event row with its audience named in a few bytes; the fan-out (`delivery.fan_out_pending`, right after the
commit, or its outbox job after a crash) asks the app that registered the audience for the ids, writes the
per-person catch-up rows and then hands the frame to the sockets.

An audience must resolve to the same people whenever it runs (now, or after a restart): it carries what
pins it down (e.g. the highest member row id at the time of the post, read under the conversation's lock),
so someone who joined after the event is never included. Apps register their audiences in `AppConfig.ready`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

_resolvers: dict[str, Callable[..., list[int]]] = {}

MAX_SPEC = 200


class Audience:
    """`name` (registered by an app) and JSON-serialisable `args` naming a set of people."""

    __slots__ = ("args", "name")

    def __init__(self, name: str, *args: int | str) -> None:
        self.name = name
        self.args = args

    def spec(self) -> str:
        text = json.dumps([self.name, *self.args], separators=(",", ":"), ensure_ascii=False)
        if len(text) > MAX_SPEC:
            raise ValueError(f"audience too long: {text[:40]}…")
        return text

    def __repr__(self) -> str:
        return f"Audience({self.spec()})"


def register(name: str, resolver: Callable[..., list[int]]) -> None:
    """`resolver(*args)` returns the user ids of the audience (called by the fan-out, off the request)."""
    _resolvers[name] = resolver


def resolve(spec: str) -> list[int]:
    name, *args = json.loads(spec)
    try:
        resolver = _resolvers[name]
    except KeyError:
        raise LookupError(f"no audience registered as {name!r}") from None
    return sorted({int(user_id) for user_id in resolver(*args)})
