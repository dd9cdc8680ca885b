"""Factories and helpers for chat tests. Conversations are made through the actions, as users make them."""

from __future__ import annotations

from kiban.chat import actions
from kiban.chat.models import Conversation, Member


def make_group(creator, *others, name: str = "") -> Conversation:
    conv, _created = actions.do_create_conversation(
        creator, kind="group", members=[p.username for p in others], name=name
    )
    return conv


def make_dm(a, b) -> Conversation:
    return actions.do_create_dm(a, b)[0]


def make_channel(creator, *others, name: str = "防災", visibility: str = "public") -> Conversation:
    team = actions.do_create_team(creator, name="テストチーム")
    conv, _created = actions.do_create_conversation(
        creator, kind="channel", members=[p.username for p in others], name=name, team_id=team.pk,
        visibility=visibility,
    )  # fmt: skip
    return conv


def as_member(user, conv: Conversation) -> Conversation:
    """The conversation as `access_conversation` returns it (with the person's member row)."""
    return actions.access_conversation(user, conv.pk)


def post(user, conv: Conversation, body: str = "確認お願いします。", **kwargs):
    return actions.do_post_message(user, as_member(user, conv), body, **kwargs)


def member(user, conv: Conversation) -> Member:
    return Member.objects.get(conversation=conv, staff=user)
