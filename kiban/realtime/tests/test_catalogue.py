from __future__ import annotations

import re

from kiban.chat.events import MessageCreated
from kiban.realtime import events
from kiban.realtime.catalogue import event_types


def test_every_event_type_is_named_noun_verb_and_declared_once():
    catalogue = event_types()
    assert catalogue["message.created"] is MessageCreated  # declared by the chat module, found here
    for name, model in catalogue.items():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", name), name
        assert model.model_config.get("extra") == "forbid", name


def test_a_module_event_is_found_without_a_central_list():
    class PostPublished(events.BaseEvent):  # as a module's own events.py would declare it
        type: str = "bulletin_test.published"

    event_types.cache_clear()
    try:
        assert event_types()["bulletin_test.published"] is PostPublished
    finally:
        del PostPublished
        event_types.cache_clear()
