"""Message search: Japanese substrings, kana/width/case folding, English words, filters, edits and deletes
reflected by the index, and a person never finds what they cannot read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from kiban.chat import actions, search
from kiban.chat.models import Message
from kiban.chat.tests.factories import as_member, make_channel, make_dm, make_group, post

pytestmark = pytest.mark.django_db


def _ids(user, q, **kwargs) -> list[int]:
    return [m.pk for m in search.search_messages(user, q, **kwargs).messages]


@pytest.fixture
def room(section_head, clerk):
    """A group of the section head and the clerk with a few messages (oldest first)."""
    conv = make_group(section_head, clerk, name="人事課")
    messages = [
        post(section_head, conv, "来月の人事異動について、資料を共有します。"),
        post(clerk, conv, "カイギ室の予約をお願いします"),
        post(section_head, conv, "The budget meeting moved to Friday."),
        post(clerk, conv, "ﾃﾞｰﾀﾍﾞｰｽの移行は完了しました"),
    ]
    return conv, messages


def test_a_japanese_word_is_found_inside_a_longer_word(clerk, room):
    _conv, (jinji, *_rest) = room
    assert _ids(clerk, "異動") == [jinji.pk]
    assert _ids(clerk, "人事異動") == [jinji.pk]
    assert _ids(clerk, "事異") == [jinji.pk]


def test_kana_width_and_case_do_not_matter(clerk, room):
    _conv, (_jinji, kaigi, budget, database) = room
    assert _ids(clerk, "かいぎ") == [kaigi.pk]  # written in katakana
    assert _ids(clerk, "ｶｲｷﾞ") == [kaigi.pk]  # half-width
    assert _ids(clerk, "データベース") == [database.pk]  # written half-width
    assert _ids(clerk, "ＢＵＤＧＥＴ") == [budget.pk]  # full-width capitals


def test_english_words_and_several_terms_all_must_match(clerk, room):
    _conv, (jinji, _kaigi, budget, _database) = room
    assert _ids(clerk, "meeting") == [budget.pk]
    assert _ids(clerk, "budget friday") == [budget.pk]
    assert _ids(clerk, "budget 異動") == []
    assert _ids(clerk, "資料 人事") == [jinji.pk]
    assert _ids(clerk, "会議") == []  # 会議 ≠ かいぎ: kanji are not readings


def test_results_are_newest_first_and_paged_by_id(section_head, clerk):
    conv = make_group(section_head, clerk)
    posted = [post(clerk, conv, f"防災訓練のお知らせ {i}") for i in range(5)]
    newest_first = [m.pk for m in reversed(posted)]

    first = search.search_messages(clerk, "防災訓練", limit=2)
    assert [m.pk for m in first.messages] == newest_first[:2]
    assert first.more is True
    rest = search.search_messages(clerk, "防災訓練", limit=10, before_id=newest_first[1])
    assert [m.pk for m in rest.messages] == newest_first[2:]
    assert rest.more is False


def test_one_character_queries_fall_back_to_a_scan_of_own_conversations(clerk, other_clerk, room):
    _conv, (jinji, *_rest) = room
    elsewhere = make_dm(other_clerk, other_clerk)
    post(other_clerk, elsewhere, "異なる話")
    assert _ids(clerk, "異") == [jinji.pk]


def test_filters_by_conversation_author_and_date(section_head, clerk, room):
    conv, (jinji, kaigi, _budget, _database) = room
    other = make_dm(section_head, clerk)
    elsewhere = post(section_head, other, "お願いします、別件です")
    Message.objects.filter(pk=kaigi.pk).update(created_at=dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC))

    assert _ids(clerk, "お願い") == [elsewhere.pk, kaigi.pk]
    assert _ids(clerk, "お願い", conversation_id=conv.pk) == [kaigi.pk]
    assert _ids(clerk, "お願い", author_username=section_head.username) == [elsewhere.pk]
    assert _ids(clerk, "お願い", date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 4, 1)) == [kaigi.pk]
    assert _ids(clerk, "お願い", date_to=dt.date(2026, 3, 31)) == []
    assert _ids(clerk, "資料", author_username=clerk.username) == []
    assert jinji.pk in _ids(clerk, "資料", author_username=section_head.username)


def test_an_edit_replaces_the_words_found(section_head, clerk, room):
    conv, (jinji, *_rest) = room
    actions.do_edit_message(section_head, Message.objects.get(pk=jinji.pk), "来年度の組織改正について")

    assert _ids(clerk, "異動") == []
    assert _ids(clerk, "組織改正") == [jinji.pk]


def test_a_deleted_message_is_never_found(section_head, clerk, room):
    conv, (jinji, *_rest) = room
    message = Message.objects.select_related("conversation").get(pk=jinji.pk)
    message.conversation = as_member(section_head, conv)
    actions.do_delete_message(section_head, message)

    assert _ids(clerk, "異動") == []
    assert _ids(clerk, "異") == []


def test_a_non_member_never_finds_anothers_dm_or_private_channel(section_head, clerk, other_clerk):
    dm = make_dm(section_head, clerk)
    post(section_head, dm, "人事異動の内示は明日です")
    private = make_channel(section_head, clerk, name="人事秘", visibility="private")
    post(section_head, private, "人事異動の案を添付します")

    assert len(_ids(clerk, "人事異動")) == 2
    assert _ids(other_clerk, "人事異動") == []
    assert _ids(other_clerk, "異") == []
    for conv in (dm, private):
        with pytest.raises(Http404):
            search.search_messages(other_clerk, "人事異動", conversation_id=conv.pk)


def test_a_public_channel_not_joined_is_not_searched_and_leaving_ends_it(section_head, clerk, other_clerk):
    channel = make_channel(section_head, clerk, name="防災", visibility="public")
    post(section_head, channel, "避難所の開設訓練を行います")
    assert _ids(other_clerk, "避難所") == []

    assert len(_ids(clerk, "避難所")) == 1
    actions.do_leave_conversation(clerk, as_member(clerk, channel))
    assert _ids(clerk, "避難所") == []


def test_an_empty_query_is_refused_naming_q(clerk):
    with pytest.raises(ValidationError) as error:
        search.search_messages(clerk, "   ")
    assert error.value.message_dict == {"q": ["検索語を入力してください。"]}


def test_the_index_plan_gives_the_same_answers_as_the_scan(section_head, clerk, other_clerk, monkeypatch):
    """Small test data would always take the scan; force the index plan too."""
    conv = make_group(section_head, clerk)
    theirs = make_dm(other_clerk, section_head)
    mine = [post(clerk, conv, body) for body in ("人事異動の件", "じんじ いどう", "Budget 2026", "別件")]
    their_message = post(other_clerk, theirs, "人事異動の件(他人の会話)")
    expected = {
        "異動": [mine[0].pk],
        "人事異動": [mine[0].pk],
        "ジンジ": [mine[1].pk],
        "budget": [mine[2].pk],
        "の件": [mine[0].pk],
    }
    # SQLite: the scan; the index with the person's conversations in the FTS5 query; the index walk alone.
    # PostgreSQL: the scan; its unbounded scope read; the window and the GIN index.
    for plan_limit, meta_scope in ((search.SMALL_SCOPE, 32), (0, 32), (0, 0)):
        monkeypatch.setattr(search, "SMALL_SCOPE", plan_limit)
        monkeypatch.setattr(search, "META_SCOPE", meta_scope)
        monkeypatch.setattr(search, "PG_SMALL_SCOPE", search.PG_SMALL_SCOPE if meta_scope else 0)
        monkeypatch.setattr(search, "PG_WINDOW", 2)
        for q, ids in expected.items():
            assert _ids(clerk, q) == ids, (plan_limit, meta_scope, q)
            seen_by_other = [their_message.pk] if q in ("異動", "人事異動", "の件") else []
            assert _ids(other_clerk, q, before_id=10**9) == seen_by_other, (plan_limit, q)
            assert _ids(clerk, q, conversation_id=conv.pk) == ids, (plan_limit, q)
            assert _ids(clerk, q, author_username=clerk.username) == ids, (plan_limit, q)
            assert _ids(clerk, q, author_username=section_head.username) == [], (plan_limit, q)
            assert _ids(other_clerk, q, author_username=other_clerk.username) == seen_by_other, (
                plan_limit,
                q,
            )


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_index_rows_follow_insert_edit_and_delete(section_head, clerk):
    conv = make_group(section_head, clerk)
    message = post(clerk, conv, "庁舎の停電")

    def indexed(term: str) -> list[int]:
        from kiban.core.search import fts_match

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM chat_message_fts WHERE chat_message_fts MATCH %s", [fts_match([term])]
            )
            return [r[0] for r in cursor.fetchall()]

    assert indexed("停電") == [message.pk]
    Message.objects.filter(pk=message.pk).update(body="庁舎の断水")
    assert indexed("停電") == []
    assert indexed("断水") == [message.pk]
    Message.objects.filter(pk=message.pk).delete()
    assert indexed("断水") == []


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_index_is_rebuilt_when_a_migration_dropped_its_triggers(section_head, clerk, monkeypatch):
    conv = make_group(section_head, clerk)
    message = post(clerk, conv, "庁舎の停電")
    with connection.cursor() as cursor:  # as Django's SQLite schema editor does when it remakes the table
        for name in ("chat_message_fts_ai", "chat_message_fts_ad", "chat_message_fts_au"):
            cursor.execute(f"DROP TRIGGER {name}")
    Message.objects.filter(pk=message.pk).update(body="庁舎の断水")  # written while there was no trigger

    search.ensure_index()

    monkeypatch.setattr(search, "SMALL_SCOPE", 0)  # the index plan
    assert _ids(clerk, "断水") == [message.pk]
    assert _ids(clerk, "停電") == []


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_normalises_as_python_does():
    from kiban.core.text import normalize

    samples = ["ﾃﾞｰﾀﾍﾞｰｽ", "ハセカ゛ワ", "ＡＢＣ　ｄｅｆ", "髙橋 齋藤 邊", "カイギ室", "Ｔｈｅ Budget", "①②"]
    with connection.cursor() as cursor:
        for text in samples:
            cursor.execute("SELECT kiban_normalize(%s)", [text])
            assert " ".join(cursor.fetchone()[0].split()) == normalize(text), text


# --- API -------------------------------------------------------------------------------------------------------


@pytest.fixture
def as_clerk(client, clerk):
    client.force_login(clerk)
    return client


def test_api_returns_message_objects_with_the_conversation_name(as_clerk, section_head, clerk):
    dm = make_dm(section_head, clerk)
    message = post(section_head, dm, "明日の**防災訓練**は9時集合です")

    response = as_clerk.get("/api/v1/search/messages", {"q": "ぼうさい"})
    assert response.status_code == 200
    assert response.json()["results"] == []  # kanji are not found by their reading

    response = as_clerk.get("/api/v1/search/messages", {"q": "防災"})
    body = response.json()
    assert body["more"] is False
    (hit,) = body["results"]
    assert hit["id"] == message.pk
    assert hit["conversation"] == dm.pk
    assert hit["author"] == "100001"
    assert hit["body"] == "明日の**防災訓練**は9時集合です"
    assert "<strong>防災訓練</strong>" in hit["html"]
    assert hit["conversation_name"] == "髙橋 一郎"
    assert hit["conversation_kind"] == "dm"


def test_api_filters_by_user_and_dates(as_clerk, section_head, clerk):
    conv = make_group(section_head, clerk, name="人事課")
    mine = post(clerk, conv, "議事録を共有します")
    post(section_head, conv, "議事録ありがとう")
    today = timezone.localtime(mine.created_at).date().isoformat()  # the day in Tokyo, as the filter reads it

    response = as_clerk.get(
        "/api/v1/search/messages", {"q": "議事録", "user": "100002", "from": today, "to": today}
    )

    assert [m["id"] for m in response.json()["results"]] == [mine.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "あ" * 201}, "q"),
        ({"q": "議事録", "from": "2026-13-01"}, "from"),
        ({"q": "議事録", "from": "2026-04-02", "to": "2026-04-01"}, "to"),
        ({"q": "議事録", "user": "nobody"}, "user"),
        ({"q": "議事録", "limit": "0"}, "limit"),
        ({"q": "議事録", "before": "x"}, "before"),
    ],
)
def test_api_bad_input_is_400_naming_the_field(as_clerk, clerk, params, field):
    response = as_clerk.get("/api/v1/search/messages", params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")


def test_api_conversation_filter_on_a_foreign_conversation_is_404(as_clerk, section_head, other_clerk):
    theirs = make_dm(section_head, other_clerk)
    post(section_head, theirs, "人事異動の件")

    response = as_clerk.get("/api/v1/search/messages", {"q": "人事異動", "conversation": theirs.pk})
    assert response.status_code == 404
    response = as_clerk.get("/api/v1/search/messages", {"q": "人事異動"})
    assert response.json() == {"results": [], "more": False}


def test_api_needs_sign_in(client):
    assert client.get("/api/v1/search/messages", {"q": "人事"}).status_code == 401


def test_api_query_budget(as_clerk, section_head, clerk, django_assert_max_num_queries):
    conv = make_group(section_head, clerk)
    for i in range(20):
        post(section_head, conv, f"会議の資料 {i}")
    as_clerk.get("/api/v1/notifications/unread-count")  # session bookkeeping warmed up
    with django_assert_max_num_queries(12):
        response = as_clerk.get("/api/v1/search/messages", {"q": "会議"})
    assert len(response.json()["results"]) == 20
