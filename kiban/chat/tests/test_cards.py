"""A module's card on a chat message: validated as data, carried by the message object, replaced after its
action ran."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kiban.chat.actions.conversations import do_create_dm
from kiban.chat.actions.messages import do_post_message, do_set_card
from kiban.chat.cards import clean_card
from kiban.chat.models import Message
from kiban.chat.serializers import message_out
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db

CARD = {
    "title": "電話メモ",
    "lines": ["山本様 10:05"],
    "links": [
        {"label": "0120-123-456 に電話", "url": "tel:0120123456"},
        {"label": "一覧", "url": "/presence/memos/"},
    ],
    "actions": [{"label": "済にする", "post": "/api/v1/phone-memos/7/done", "primary": True}],
}


@pytest.mark.parametrize(
    "card",
    [
        {**CARD, "title": ""},
        {**CARD, "links": [{"label": "x", "url": "javascript:alert(1)"}]},
        {**CARD, "links": [{"label": "x", "url": "//evil.example/"}]},
        {**CARD, "actions": [{"label": "x", "post": "https://evil.example/api/v1/x"}]},
        {**CARD, "actions": [{"label": "x", "post": "/logout"}]},
        {**CARD, "actions": [{"label": "x", "post": "/api/v1/../logout"}]},
        {**CARD, "lines": ["x"] * 21},
        {**CARD, "extra": 1},
        {**CARD, "lines": "not a list"},
    ],
)
def test_a_bad_card_is_refused_naming_the_card(card):
    with pytest.raises(ValidationError) as error:
        clean_card(card)
    assert list(error.value.message_dict) == ["card"]


def test_a_card_travels_with_its_message_and_is_replaced_when_done(clerk, section_head):
    conv, _created = do_create_dm(section_head, clerk)
    message = do_post_message(section_head, conv, "電話メモ: 山本様から", card=CARD)
    assert message_out(Message.objects.get(pk=message.pk)).card.model_dump() == {**CARD, "done": ""}
    with capture_events() as events:
        do_set_card(message, {**CARD, "actions": [], "done": "対応済み 10:30"})
    [(recipients, event)] = events.of_type("message.updated")
    assert recipients == sorted([clerk.pk, section_head.pk])
    assert (event.message.card.done, event.message.card.actions) == ("対応済み 10:30", [])


def test_a_persons_message_has_no_card(clerk, section_head):
    conv, _created = do_create_dm(section_head, clerk)
    assert message_out(do_post_message(section_head, conv, "こんにちは")).card is None
