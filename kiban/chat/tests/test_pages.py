"""Chat pages: the list and a conversation render for members, a stranger gets 404, the dm route creates
once and then reuses, every page needs sign-in, the no-script composer posts, search highlights safely."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kiban.chat import actions
from kiban.chat.models import Conversation, Member, Message
from kiban.chat.views import highlight

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(clerk, section_head):
    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="人事打合せ"
    )
    return actions.access_conversation(clerk, conv.pk)


def test_chat_pages_require_sign_in(client, group):
    for url in [
        reverse("chat:index"),
        reverse("chat:conversation", args=[group.pk]),
        reverse("chat:dm", args=["100001"]),
        reverse("chat:info", args=[group.pk]),
        reverse("chat:browse"),
        reverse("chat:new"),
        reverse("chat:search"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login"), url
    assert Conversation.objects.filter(kind="dm").count() == 0


def test_member_sees_list_and_last_page_of_messages(client, clerk, section_head, group):
    actions.do_post_message(
        section_head, actions.access_conversation(section_head, group.pk), "**おはよう**ございます"
    )
    client.force_login(clerk)

    index = client.get(reverse("chat:index"))
    assert index.status_code == 200
    assert f'data-conv-id="{group.pk}"' in index.text
    assert "人事打合せ" in index.text
    assert 'data-unread="1"' in index.text

    page = client.get(reverse("chat:conversation", args=[group.pk]))
    assert page.status_code == 200
    assert "<strong>おはよう</strong>ございます" in page.text
    assert "髙橋" in page.text
    assert f'data-conversation="{group.pk}"' in page.text
    assert f'action="/chat/c/{group.pk}/post/"' in page.text
    # The open conversation shows no unread badge for itself.
    assert f'data-conv-id="{group.pk}" data-activity' in page.text
    assert 'data-unread="0"' in page.text


def test_stranger_gets_404_for_a_private_conversation(client, other_clerk, group):
    client.force_login(other_clerk)
    for name in ["chat:conversation", "chat:info"]:
        assert client.get(reverse(name, args=[group.pk])).status_code == 404
    response = client.post(reverse("chat:post", args=[group.pk]), {"body": "入れて"})
    assert response.status_code == 404
    assert Message.objects.filter(conversation=group).count() == 0


def test_dm_route_creates_the_dm_once_then_reuses_it(client, clerk, section_head):
    client.force_login(clerk)
    first = client.post(reverse("chat:dm", args=[section_head.username]))
    assert first.status_code == 302
    conv = Conversation.objects.get(kind="dm")
    assert first["Location"] == reverse("chat:conversation", args=[conv.pk])
    assert set(Member.objects.filter(conversation=conv).values_list("staff__username", flat=True)) == {
        "100001",
        "100002",
    }
    second = client.get(reverse("chat:dm", args=[section_head.username]))
    assert second["Location"] == first["Location"]
    assert Conversation.objects.filter(kind="dm").count() == 1


def test_dm_route_with_unknown_person_is_404_and_creates_nothing(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("chat:dm", args=["999999"])).status_code == 404
    assert Conversation.objects.count() == 0


def test_directory_chat_button_opens_the_dm_route(client, clerk, section_head):
    client.force_login(clerk)
    profile = client.get(reverse("org:profile", args=[section_head.username]))
    assert '<form method="post" action="/chat/dm/100001">' in profile.text


def test_composer_without_javascript_posts_and_returns_to_the_conversation(client, clerk, group):
    client.force_login(clerk)
    response = client.post(reverse("chat:post", args=[group.pk]), {"body": "議事録を共有します"})
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:conversation", args=[group.pk])
    message = Message.objects.get(conversation=group)
    assert (message.seq, message.body, message.author_id) == (1, "議事録を共有します", clerk.pk)


def test_empty_post_without_javascript_is_refused_and_stores_nothing(client, clerk, group):
    client.force_login(clerk)
    response = client.post(reverse("chat:post", args=[group.pk]), {"body": "   "}, follow=True)
    assert response.status_code == 200
    assert Message.objects.filter(conversation=group).count() == 0


def test_older_link_pages_back_by_seq(client, clerk, group):
    for i in range(55):
        actions.do_post_message(clerk, group, f"メッセージ{i + 1}")
    client.force_login(clerk)
    page = client.get(reverse("chat:conversation", args=[group.pk]))
    assert 'href="?before=6"' in page.text
    assert "メッセージ55" in page.text and ">メッセージ5<" not in page.text
    older = client.get(reverse("chat:conversation", args=[group.pk]) + "?before=6")
    assert "<p>メッセージ5</p>" in older.text
    assert "メッセージ6<" not in older.text


def test_info_page_mutes_and_leaves(client, clerk, section_head, group):
    client.force_login(clerk)
    url = reverse("chat:info", args=[group.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"op": "mute", "muted": "1"})
    assert Member.objects.get(conversation=group, staff=clerk).muted is True
    response = client.post(url, {"op": "leave"})
    assert response["Location"] == reverse("chat:index")
    assert not Member.objects.filter(conversation=group, staff=clerk).exists()


def test_new_group_page_creates_the_group_with_picked_members(client, clerk, section_head, other_clerk):
    client.force_login(clerk)
    response = client.post(
        reverse("chat:new"), {"kind": "group", "members": ["100001", "500001"], "name": "道路と人事"}
    )
    conv = Conversation.objects.get(kind="group")
    assert response["Location"] == reverse("chat:conversation", args=[conv.pk])
    assert conv.name == "道路と人事"
    assert set(conv.members.values_list("staff__username", flat=True)) == {"100001", "100002", "500001"}


def test_new_group_with_unknown_member_creates_nothing(client, clerk):
    client.force_login(clerk)
    response = client.post(reverse("chat:new"), {"kind": "group", "members": ["nobody"]})
    assert response.status_code == 200
    assert "職員が見つかりません" in response.text
    assert Conversation.objects.count() == 0


def test_search_highlight_escapes_the_body_and_marks_the_terms():
    html = highlight("<script>alert(1)</script> 予算の件 <b>", "予算")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>予算</mark>の件 &lt;b&gt;"


def test_search_page_finds_own_conversations_messages_with_terms_marked(client, clerk, section_head, group):
    actions.do_post_message(
        section_head, actions.access_conversation(section_head, group.pk), "来年度の予算について"
    )
    client.force_login(clerk)
    response = client.get(reverse("chat:search"), {"q": "予算"})
    assert response.status_code == 200
    assert "来年度の<mark>予算</mark>について" in response.text
    assert f'href="/chat/c/{group.pk}/?seq=1#m1"' in response.text


def test_search_results_show_names_for_mentions_and_no_markdown(client, clerk, section_head, group):
    actions.do_post_message(
        section_head, actions.access_conversation(section_head, group.pk), "@100002 **来年度**の`予算`です"
    )
    client.force_login(clerk)
    response = client.get(reverse("chat:search"), {"q": "予算"})
    assert "@佐藤 花子 来年度の<mark>予算</mark>です" in response.text
    assert "@100002" not in response.text and "**" not in response.text


def test_search_page_never_shows_messages_of_conversations_one_is_not_in(
    client, other_clerk, section_head, group
):
    actions.do_post_message(
        section_head, actions.access_conversation(section_head, group.pk), "人事の秘密の予算"
    )
    client.force_login(other_clerk)
    response = client.get(reverse("chat:search"), {"q": "予算"})
    assert response.status_code == 200
    assert "秘密" not in response.text
    assert "0件" in response.text
    refused = client.get(reverse("chat:search"), {"q": "予算", "conversation": group.pk})
    assert refused.status_code == 200
    assert "秘密" not in refused.text
    assert "その会話は検索できません" in refused.text


def test_conversation_page_query_count_does_not_grow_with_messages_or_conversations(
    client, clerk, section_head, other_clerk, group, django_assert_max_num_queries
):
    head = actions.access_conversation(section_head, group.pk)
    for i in range(30):
        message = actions.do_post_message(section_head, head, f"@100002 連絡{i}")
        actions.do_react(clerk, message, "👍")
    for person in [section_head, other_clerk]:
        actions.do_create_dm(clerk, person)
    client.force_login(clerk)
    client.get(reverse("chat:conversation", args=[group.pk]))  # session and device bookkeeping settle
    with django_assert_max_num_queries(12):
        assert client.get(reverse("chat:conversation", args=[group.pk])).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(reverse("chat:index")).status_code == 200


def test_channel_browser_lists_public_channels_and_joining_opens_them(client, clerk, section_head):
    from kiban.chat.tests.factories import make_channel

    public = make_channel(section_head, name="防災")
    secret = make_channel(section_head, name="人事秘密", visibility="private")
    client.force_login(clerk)
    page = client.get(reverse("chat:browse"))
    assert "# 防災" in page.text
    assert "人事秘密" not in page.text
    # A public channel can be looked at before joining, without its messages; a private one is 404.
    preview = client.get(reverse("chat:conversation", args=[public.pk]))
    assert preview.status_code == 200
    assert "参加する" in preview.text and "data-conversation=" not in preview.text
    assert client.get(reverse("chat:conversation", args=[secret.pk])).status_code == 404
    assert client.post(reverse("chat:join", args=[secret.pk])).status_code == 404
    assert not Member.objects.filter(conversation=secret, staff=clerk).exists()

    joined = client.post(reverse("chat:join", args=[public.pk]))
    assert joined["Location"] == reverse("chat:conversation", args=[public.pk])
    assert Member.objects.filter(conversation=public, staff=clerk, role="member").exists()
    assert "参加中" in client.get(reverse("chat:browse")).text


def test_owner_creates_a_webhook_and_sees_its_url_once(client, section_head):
    from kiban.chat.models import Webhook
    from kiban.chat.tests.factories import make_channel

    channel = make_channel(section_head, name="防災")
    client.force_login(section_head)
    url = reverse("chat:info", args=[channel.pk])
    client.post(url, {"op": "hook-create", "bot_name": "防災情報"})
    hook = Webhook.objects.get(conversation=channel)
    assert hook.bot_name == "防災情報"
    first = client.get(url).text
    assert "http://testserver/hooks/" in first
    assert "http://testserver/hooks/" not in client.get(url).text


def test_member_who_is_not_owner_cannot_create_a_webhook(client, clerk, section_head):
    from kiban.chat.models import Webhook
    from kiban.chat.tests.factories import make_channel

    channel = make_channel(section_head, clerk, name="防災")
    client.force_login(clerk)
    url = reverse("chat:info", args=[channel.pk])
    assert "Webhook を作成" not in client.get(url).text
    response = client.post(url, {"op": "hook-create", "bot_name": "偽ボット"}, follow=True)
    assert "オーナーだけができる操作です" in response.text
    assert Webhook.objects.count() == 0


def test_thread_page_without_javascript_shows_replies_and_posts_into_the_thread(
    client, clerk, section_head, group
):
    root = actions.do_post_message(
        section_head, actions.access_conversation(section_head, group.pk), "議題の案"
    )
    actions.do_post_message(clerk, group, "賛成です", thread_root_id=root.pk)
    client.force_login(clerk)
    page = client.get(reverse("chat:conversation", args=[group.pk]))
    thread_url = reverse("chat:thread", args=[group.pk, root.pk])
    assert f'href="{thread_url}"' in page.text
    assert "賛成です" not in page.text  # replies live in the thread
    thread = client.get(thread_url)
    assert "<p>議題の案</p>" in thread.text and "<p>賛成です</p>" in thread.text
    response = client.post(
        reverse("chat:post", args=[group.pk]), {"body": "私も賛成", "thread_root": root.pk}
    )
    assert response["Location"] == thread_url
    assert list(Message.objects.filter(thread_root=root).order_by("seq").values_list("body", flat=True)) == [
        "賛成です",
        "私も賛成",
    ]


def test_thread_page_of_a_reply_or_another_conversation_is_404(
    client, clerk, other_clerk, section_head, group
):
    root = actions.do_post_message(clerk, group, "議題")
    reply = actions.do_post_message(clerk, group, "返信", thread_root_id=root.pk)
    client.force_login(clerk)
    assert client.get(reverse("chat:thread", args=[group.pk, reply.pk])).status_code == 404
    client.force_login(other_clerk)
    assert client.get(reverse("chat:thread", args=[group.pk, root.pk])).status_code == 404


def test_conversation_page_marks_where_each_day_begins(client, clerk, group):
    import datetime as dt

    from django.utils import timezone

    old = actions.do_post_message(clerk, group, "先週の連絡")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.make_aware(dt.datetime(2026, 4, 1, 9, 30)))
    actions.do_post_message(clerk, group, "今日の連絡")
    client.force_login(clerk)
    page = client.get(reverse("chat:conversation", args=[group.pk])).text
    assert '<li class="day-sep" role="separator">令和8年4月1日(水)</li>' in page
    assert '<li class="day-sep" role="separator">今日</li>' in page
    assert ">令和8年4月1日 09:30</time>" in page


def test_info_page_renames_and_archives_for_the_owner(client, clerk, section_head, group):
    client.force_login(clerk)
    url = reverse("chat:info", args=[group.pk])
    client.post(url, {"op": "rename", "name": "人事打合せ（臨時）", "topic": "年度末の異動"})
    group.refresh_from_db()
    assert (group.name, group.topic) == ("人事打合せ（臨時）", "年度末の異動")
    client.post(url, {"op": "archive", "archived": "1"})
    group.refresh_from_db()
    assert group.archived_at is not None
    page = client.get(reverse("chat:conversation", args=[group.pk])).text
    assert "読むことだけができます" in page and 'name="body"' not in page
    # An archived conversation takes no new messages, also without JavaScript.
    response = client.post(reverse("chat:post", args=[group.pk]), {"body": "まだ書ける？"}, follow=True)
    assert "アーカイブされた会話には投稿できません" in response.text
    assert Message.objects.filter(conversation=group).count() == 0


def test_info_page_archive_is_refused_for_a_member_who_is_not_owner(client, section_head, group):
    client.force_login(section_head)
    response = client.post(
        reverse("chat:info", args=[group.pk]), {"op": "archive", "archived": "1"}, follow=True
    )
    assert "オーナーだけができる操作です" in response.text
    group.refresh_from_db()
    assert group.archived_at is None


def test_joining_a_team_from_the_browser_adds_its_general_channel(client, clerk, section_head):
    from kiban.chat.models import TeamMember

    team = actions.do_create_team(section_head, name="防災チーム")
    client.force_login(clerk)
    page = client.get(reverse("chat:browse")).text
    assert "防災チーム" in page and f'action="/chat/teams/{team.pk}/join/"' in page
    response = client.post(reverse("chat:join_team", args=[team.pk]))
    assert response["Location"] == reverse("chat:browse")
    assert TeamMember.objects.filter(team=team, staff=clerk).exists()
    assert Member.objects.filter(conversation__team=team, staff=clerk).count() == 1
    assert client.post(reverse("chat:join_team", args=[999999])).status_code == 404


def test_channel_page_counts_members_without_listing_them(client, clerk, section_head):
    from kiban.accounts.tests.factories import StaffFactory
    from kiban.chat.tests.factories import make_channel

    channel = make_channel(section_head, clerk, name="全庁連絡")
    others = [StaffFactory() for _ in range(4)]
    actions.do_add_members(
        section_head, actions.access_conversation(section_head, channel.pk), [p.username for p in others]
    )
    client.force_login(clerk)
    page = client.get(reverse("chat:conversation", args=[channel.pk])).text
    assert 'data-member-count="6">6人</a>' in page
    # The member list is not in the page, whatever its size: the info panel pages through it.
    assert "chat-members" not in page
    assert not any(p.full_name in page for p in others)
    assert "全庁連絡" in page
