"""Cards: structured content a module attaches to a chat message — a title, lines, links and action buttons
(phone memos: a call button and "done"; the workflow module: approve and reject).

    from kiban.chat.cards import clean_card
    do_post_message(author, conv, "電話メモ: …", card={
        "title": "電話メモ", "lines": ["○○市 山本様から 10:05"],
        "links": [{"label": "0120-123-456 に電話", "url": "tel:0120123456"}],
        "actions": [{"label": "済にする", "post": "/api/v1/phone-memos/7/done", "primary": True}],
    })
    do_set_card(message, {... "actions": [], "done": "対応済み"})   # after the action happened

The card is data, never HTML: the chat client and the template draw it with text nodes only. A link is
http(s), mailto, tel or a path on this site; an action is a same-origin POST to an /api/v1/ path, which does
its own permission check for whoever presses the button (a card shown to several people grants nothing).
The body of the message stays a plain summary, for clients that do not draw cards (notifications, email).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from kiban.chat.schemas import CardOut

_LINK_RE = re.compile(r"^(https?://[^\s]+|mailto:[^\s]+|tel:\+?[0-9\-()]{1,30}|/(?!/)[^\s]*)$", re.IGNORECASE)
_POST_RE = re.compile(r"^/api/v1/[A-Za-z0-9_\-/]+$")
MAX_LINES, MAX_LINKS, MAX_ACTIONS, MAX_TEXT = 20, 5, 3, 500


def clean_card(data: dict | None) -> dict | None:
    """The card as stored, or ValidationError naming `card`."""
    if data is None:
        return None
    try:
        card = CardOut.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError({"card": [_("カードの形式が正しくありません。")]}) from exc
    texts = [
        card.title,
        card.done,
        *card.lines,
        *(x.label for x in card.links),
        *(x.label for x in card.actions),
    ]
    if (
        not card.title
        or len(card.lines) > MAX_LINES
        or len(card.links) > MAX_LINKS
        or len(card.actions) > MAX_ACTIONS
        or any(len(text) > MAX_TEXT for text in texts)
        or not all(_LINK_RE.match(link.url) for link in card.links)
        or not all(_POST_RE.match(action.post) and ".." not in action.post for action in card.actions)
    ):
        raise ValidationError({"card": [_("カードの内容が正しくありません。")]})
    return card.model_dump(mode="json")
