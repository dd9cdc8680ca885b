"""Many people posting into one conversation at once still get seq 1, 2, 3 … without gap or duplicate."""

from __future__ import annotations

import pytest
from django.db import connection

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat import actions
from kiban.chat.models import Conversation, Message
from kiban.chat.tests.factories import make_dm, make_group
from kiban.core.testing import run_at_once as _run_at_once

WRITERS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_posters_get_gapless_seq():
    people = [StaffFactory() for _ in range(WRITERS)]
    conv = make_group(people[0], *people[1:], name="同時投稿")

    def poster(person, n):
        def fn():
            conv_for_person = actions.access_conversation(person, conv.pk)
            actions.do_post_message(person, conv_for_person, f"投稿 {n}")

        return fn

    errors = _run_at_once([poster(p, i) for i, p in enumerate(people)])

    assert errors == []
    seqs = sorted(Message.objects.filter(conversation=conv).values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS + 1))
    assert Conversation.objects.get(pk=conv.pk).last_seq == WRITERS
    authors = set(Message.objects.filter(conversation=conv).values_list("author_id", flat=True))
    assert authors == {p.pk for p in people}


@pytest.mark.django_db(transaction=True)
def test_a_failed_post_leaves_no_gap(monkeypatch):
    a, b = StaffFactory(), StaffFactory()
    conv = make_dm(a, b)
    actions.do_post_message(a, actions.access_conversation(a, conv.pk), "一通目")

    from kiban.chat.actions import messages

    def broken(*args, **kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(messages, "_notify", broken)
    with pytest.raises(RuntimeError):
        actions.do_post_message(a, actions.access_conversation(a, conv.pk), "失敗する投稿")
    monkeypatch.undo()
    actions.do_post_message(b, actions.access_conversation(b, conv.pk), "二通目")

    assert list(Message.objects.filter(conversation=conv).order_by("seq").values_list("seq", "body")) == [
        (1, "一通目"),
        (2, "二通目"),
    ]
    assert Conversation.objects.get(pk=conv.pk).last_seq == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_dm_creation_makes_one_dm():
    a, b = StaffFactory(), StaffFactory()
    results = []

    def create(x, y):
        def fn():
            results.append(actions.do_create_dm(x, y)[0].pk)

        return fn

    errors = _run_at_once([create(a, b) if i % 2 else create(b, a) for i in range(8)])

    assert errors == []
    assert Conversation.objects.filter(kind="dm").count() == 1
    assert set(results) == {Conversation.objects.get(kind="dm").pk}
    assert connection.vendor in {"sqlite", "postgresql"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_same_reaction_is_stored_once():
    from kiban.chat.models import Reaction

    a, b = StaffFactory(), StaffFactory()
    conv = make_group(a, b)
    message = actions.do_post_message(a, actions.access_conversation(a, conv.pk), "投票")

    def react():
        actions.do_react(b, actions.access_message(b, message.pk), "👍", add=True)

    errors = _run_at_once([react for _ in range(8)])
    assert errors == []
    assert Reaction.objects.filter(message=message).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_joins_of_a_public_channel_make_one_member_row():
    from kiban.chat.models import Member
    from kiban.chat.tests.factories import make_channel

    owner, joiner = StaffFactory(), StaffFactory()
    channel = make_channel(owner, name="全庁お知らせ")
    results = []

    def join():
        results.append(actions.do_join_channel(joiner, actions.access_public_channel(joiner, channel.pk)))

    errors = _run_at_once([join for _ in range(8)])
    assert errors == []
    assert Member.objects.filter(conversation=channel, staff=joiner).count() == 1
    assert sorted(results) == [False] * 7 + [True]
