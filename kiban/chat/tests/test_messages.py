"""Posting, threads, mentions, notifications, edits, deletes, reactions and pins."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat import actions
from kiban.chat.models import Conversation, Mention, Message, MessageEdit, Reaction
from kiban.chat.tests.factories import as_member, make_channel, make_dm, make_group, member, post
from kiban.notifications.models import Notification
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db


def _notes(user=None):
    qs = Notification.objects.order_by("id")
    if user is not None:
        qs = qs.filter(recipient=user)
    return list(qs.values_list("recipient__username", "kind"))


def test_post_stores_seq_html_and_announces_to_exactly_the_members(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head, name="人事課")
    with capture_events() as events:
        message = post(clerk, conv, "**至急** ご確認ください")
    assert (message.seq, message.html) == (1, "<p><strong>至急</strong> ご確認ください</p>")
    assert Conversation.objects.get(pk=conv.pk).last_seq == 1
    [(user_ids, event)] = events
    assert event.type == "message.created"
    assert user_ids == sorted([clerk.pk, section_head.pk])
    assert event.message.seq == 1
    assert event.message.author == "100002"
    assert event.message.conversation == conv.pk


def test_author_has_read_their_own_message(clerk, section_head):
    conv = make_group(clerk, section_head)
    post(clerk, conv)
    assert member(clerk, conv).last_read_seq == 1
    assert member(section_head, conv).last_read_seq == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [("", "body"), ("   \n ", "body"), ("あ" * 10_001, "body"), ("nul\x00", "body")],
)
def test_bad_body_is_refused_and_nothing_is_written(clerk, section_head, body, field):
    conv = make_group(clerk, section_head)
    with capture_events() as events, pytest.raises(ValidationError) as exc:
        post(clerk, conv, body)
    assert list(exc.value.message_dict) == [field]
    assert Message.objects.count() == 0
    assert Conversation.objects.get(pk=conv.pk).last_seq == 0
    assert events == []


def test_post_into_archived_conversation_is_refused(clerk, section_head):
    conv = make_group(clerk, section_head)
    actions.do_archive_conversation(clerk, as_member(clerk, conv))
    with pytest.raises(ValidationError) as exc:
        post(section_head, conv)
    assert list(exc.value.message_dict) == ["conversation"]
    assert Message.objects.count() == 0


def test_thread_replies_count_and_flatten_to_the_root(clerk, section_head):
    conv = make_group(clerk, section_head)
    root = post(clerk, conv, "議題")
    reply = post(section_head, conv, "賛成です", thread_root_id=root.pk)
    nested = post(clerk, conv, "了解", thread_root_id=reply.pk)
    root.refresh_from_db()
    assert (reply.thread_root_id, nested.thread_root_id) == (root.pk, root.pk)
    assert root.reply_count == 2
    assert root.last_reply_at == nested.created_at
    assert [reply.seq, nested.seq] == [2, 3]


def test_thread_root_from_another_conversation_is_refused(clerk, section_head, other_clerk):
    mine = make_group(clerk, section_head)
    theirs = make_group(other_clerk, section_head)
    foreign = post(other_clerk, theirs)
    with pytest.raises(ValidationError) as exc:
        post(clerk, mine, "返信", thread_root_id=foreign.pk)
    assert list(exc.value.message_dict) == ["thread_root"]
    assert Message.objects.filter(conversation=mine).count() == 0


def test_mention_by_username_and_name_notifies_once(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head, other_clerk)
    message = post(clerk, conv, "@100001 @髙橋一郎さん 確認お願いします")
    assert list(Mention.objects.values_list("staff__username", "kind", "seq")) == [("100001", "direct", 1)]
    assert _notes() == [("100001", "chat.mention")]
    assert 'data-username="100001"' in message.html


def test_mention_by_name_with_a_space_finds_the_person_and_renders_the_name(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head, other_clerk)
    # As the composer inserts it (ASCII space), and as people type it (full-width space, honorific).
    message = post(clerk, conv, "@髙橋 一郎 確認お願いします")
    again = post(clerk, conv, "@渡邊\u3000健さん、了解です")
    assert list(Mention.objects.order_by("seq").values_list("staff__username", "seq")) == [
        ("100001", 1),
        ("500001", 2),
    ]
    assert _notes() == [("100001", "chat.mention"), ("500001", "chat.mention")]
    assert message.html == (
        '<p><span class="mention" data-username="100001">@髙橋 一郎</span> 確認お願いします</p>'
    )
    assert '<span class="mention" data-username="500001">@渡邊 健</span>さん、了解です' in again.html


def test_a_family_name_followed_by_another_word_is_not_a_mention(clerk, section_head):
    conv = make_group(clerk, section_head)
    message = post(clerk, conv, "@髙橋 さんへ")
    assert Mention.objects.count() == 0
    assert "mention" not in message.html


def test_mention_notification_shows_names_and_no_markdown(clerk, section_head):
    conv = make_group(clerk, section_head)
    post(clerk, conv, "@100001 **至急** `予算書` を確認")
    note = Notification.objects.get(recipient=section_head)
    assert note.body == "@髙橋 一郎 至急 予算書 を確認"


def test_mention_of_a_non_member_is_plain_text(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head)
    message = post(clerk, conv, "@500001 さんにも伝えて")
    assert Mention.objects.count() == 0
    assert _notes() == []
    assert "mention" not in message.html


def test_at_channel_mentions_every_member_but_muted_ones_get_no_notification(
    clerk, section_head, other_clerk
):
    conv = make_channel(clerk, section_head, other_clerk)
    actions.do_set_muted(other_clerk, as_member(other_clerk, conv), True)
    post(clerk, conv, "@channel 訓練は10時からです")
    assert sorted(Mention.objects.values_list("staff__username", "kind")) == [
        ("100001", "channel"),
        ("500001", "channel"),
    ]
    assert _notes() == [("100001", "chat.mention")]


def test_direct_mention_gets_through_a_mute(clerk, section_head):
    conv = make_group(clerk, section_head)
    actions.do_set_muted(section_head, as_member(section_head, conv), True)
    post(clerk, conv, "@100001 至急")
    assert _notes() == [("100001", "chat.mention")]


def test_dm_notifies_the_partner_not_the_author(clerk, section_head):
    conv = make_dm(clerk, section_head)
    post(clerk, conv, "お疲れさまです")
    post(section_head, conv, "どうしました？")
    assert _notes() == [("100001", "chat.dm"), ("100002", "chat.dm")]
    note = Notification.objects.filter(recipient=section_head).get()
    assert (note.group_key, note.seq) == (f"chat.conversation:{conv.pk}", 1)


def test_reply_notifies_thread_participants_except_muted(clerk, section_head, other_clerk):
    conv = make_channel(clerk, section_head, other_clerk)
    root = post(clerk, conv, "議題")
    post(section_head, conv, "意見", thread_root_id=root.pk)
    actions.do_set_muted(section_head, as_member(section_head, conv), True)
    Notification.objects.all().delete()
    post(other_clerk, conv, "追加", thread_root_id=root.pk)
    assert _notes() == [("100002", "chat.reply")]


def test_group_message_without_mention_notifies_nobody(clerk, section_head):
    post(clerk, make_group(clerk, section_head), "共有です")
    assert _notes() == []


def test_posting_costs_a_fixed_number_of_queries(clerk, section_head, django_assert_max_num_queries):
    people = [StaffFactory() for _ in range(30)]
    conv = make_channel(clerk, section_head, *people)
    conv = as_member(clerk, conv)
    post(clerk, conv, "一通目")
    # in the transaction: seq, members, message, own read mark, the event row and its recipient rows (+ the
    # test's savepoint pair)
    with django_assert_max_num_queries(8):
        actions.do_post_message(clerk, conv, "二通目")
    # + mention lookup, mention rows, notification rows, their event row and recipient rows
    with django_assert_max_num_queries(13):
        actions.do_post_message(clerk, conv, "@100001 三通目")


def test_edit_keeps_history_and_marks_edited(clerk, section_head):
    conv = make_group(clerk, section_head)
    message = post(clerk, conv, "会議は10時")
    with capture_events() as events:
        actions.do_edit_message(clerk, actions.access_message(clerk, message.pk), "会議は**11時**")
    message.refresh_from_db()
    assert message.html == "<p>会議は<strong>11時</strong></p>"
    assert message.edited_at is not None
    assert list(MessageEdit.objects.values_list("body", "editor__username")) == [("会議は10時", "100002")]
    [(user_ids, event)] = events
    assert (event.type, event.message.edited_at is not None) == ("message.updated", True)
    assert user_ids == sorted([clerk.pk, section_head.pk])


def test_only_the_author_edits(clerk, section_head):
    conv = make_group(clerk, section_head)
    message = post(clerk, conv, "原文")
    with capture_events() as events, pytest.raises(PermissionDenied):
        actions.do_edit_message(section_head, actions.access_message(section_head, message.pk), "改ざん")
    message.refresh_from_db()
    assert (message.body, message.edited_at, MessageEdit.objects.count(), events) == ("原文", None, 0, [])


def test_delete_leaves_a_tombstone(clerk, section_head):
    conv = make_group(clerk, section_head)
    message = post(clerk, conv, "@100001 間違い")
    actions.do_react(section_head, actions.access_message(section_head, message.pk), "👍")
    with capture_events() as events:
        actions.do_delete_message(clerk, actions.access_message(clerk, message.pk))
    message.refresh_from_db()
    assert (message.body, message.html, message.seq, message.deleted) == ("", "", 1, True)
    assert (Mention.objects.count(), Reaction.objects.count()) == (0, 0)
    [(user_ids, event)] = events
    assert event.type == "message.deleted"
    assert (event.message.deleted, event.message.body, event.message.seq) == (True, "", 1)


def test_owner_may_delete_others_messages_but_members_may_not(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head, other_clerk)  # clerk created it: owner
    by_head = post(section_head, conv, "発言")
    with pytest.raises(PermissionDenied):
        actions.do_delete_message(other_clerk, actions.access_message(other_clerk, by_head.pk))
    assert Message.objects.get(pk=by_head.pk).deleted_at is None
    actions.do_delete_message(clerk, actions.access_message(clerk, by_head.pk))
    assert Message.objects.get(pk=by_head.pk).deleted_at is not None


def test_reactions_toggle_and_announce(clerk, section_head):
    conv = make_group(clerk, section_head)
    message = post(clerk, conv)
    with capture_events() as events:
        assert actions.do_react(section_head, actions.access_message(section_head, message.pk), "👍") is True
        assert (
            actions.do_react(section_head, actions.access_message(section_head, message.pk), "👍", add=True)
            is True
        )
        assert actions.do_react(section_head, actions.access_message(section_head, message.pk), "👍") is False
    assert events.types() == ["reaction.added", "reaction.removed"]
    assert events[0][1].username == "100001"
    assert Reaction.objects.count() == 0


@pytest.mark.parametrize("emoji", ["", " ", "a b", "<b>", "x" * 33])
def test_bad_emoji_is_refused(clerk, section_head, emoji):
    conv = make_group(clerk, section_head)
    message = post(clerk, conv)
    with pytest.raises(ValidationError) as exc:
        actions.do_react(clerk, actions.access_message(clerk, message.pk), emoji)
    assert list(exc.value.message_dict) == ["emoji"]
    assert Reaction.objects.count() == 0


def test_pin_and_unpin(clerk, section_head):
    conv = make_group(clerk, section_head)
    message = post(clerk, conv)
    with capture_events() as events:
        actions.do_pin_message(section_head, actions.access_message(section_head, message.pk), True)
        actions.do_pin_message(section_head, actions.access_message(section_head, message.pk), True)
    assert events.types() == ["message.updated"]
    assert events[0][1].message.pinned is True
    actions.do_pin_message(clerk, actions.access_message(clerk, message.pk), False)
    assert Message.objects.get(pk=message.pk).pinned_at is None


def test_reply_announces_the_message_and_the_roots_new_count(clerk, section_head):
    conv = make_group(clerk, section_head)
    root = post(clerk, conv, "議題")
    with capture_events() as events:
        reply = post(section_head, conv, "賛成", thread_root_id=root.pk)
    messages = [e for _ids, e in events if e.type.startswith("message.")]
    assert [(e.type, e.message.id) for e in messages] == [
        ("message.created", reply.pk),
        ("message.updated", root.pk),
    ]
    assert messages[1].message.reply_count == 1
    assert events.types().count("notification.created") == 1  # the root's author hears of the reply


def test_at_here_mentions_only_the_people_connected_now(clerk, section_head, other_clerk):
    from kiban.realtime.presence import arrived

    conv = make_channel(clerk, section_head, other_clerk)
    arrived(section_head.pk)
    post(clerk, conv, "@here 今いる人、応援お願いします")
    assert list(Mention.objects.values_list("staff__username", "kind")) == [("100001", "here")]
    assert _notes() == [("100001", "chat.mention")]
