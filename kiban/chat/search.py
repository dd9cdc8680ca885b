"""Japanese full-text search over the messages a person can read (kiban.core.search has the machinery).

What a person may search: messages of the conversations they are a member of *now* (a Member row; leaving
deletes it), never deleted ones. A public channel they have not joined is not searched: they can join it.

Index (built by migration chat 0002, kept by the database, so chat actions need no search code):
- SQLite: contentless FTS5 table `chat_message_fts` (rowid = message id) of the bigrams of the normalised
  body, written by triggers on `chat_message` (insert, edit, tombstone, delete) that call
  `kiban_text_tokens` (kiban.core.search, registered on every connection).
- PostgreSQL: a stored generated column `search_text` = `kiban_normalize(body)` (added by the migration in
  SQL, unknown to the Django model: the database computes it on every write), and a GIN index over
  `kiban_message_keys(search_text, conversation_id, author_id)` — the bigrams plus a key for the
  conversation and one for the author — of live messages, statistics target raised so the planner sees
  rare bigrams as rare.

A query's terms (space-separated, normalised: kana, width and case do not matter) must all occur; terms of
two characters or more are looked up in the index, and every candidate is rechecked with a substring match
of every term on the normalised body, so the index narrows and never decides. Results are newest first,
paged by keyset (`before_id`); totals are never counted ("50+").

Plans, chosen per query (measured in benchmarks/message_search.py):
- *scope*: when the person's conversations (or the one filtered on) hold few messages (`SMALL_SCOPE`), or
  every term is a single character (not indexed), read those messages newest first and check each; at most
  the newest `SCAN_LIMIT`, so a one-character query looks at recent messages only.
- *scope, PostgreSQL*: up to `PG_SMALL_SCOPE` messages, read through the conversation index and checked
  against the stored normalised text (cheap there), unbounded.
- *index*: otherwise. SQLite walks the FTS5 matches newest first (FTS5 serves `ORDER BY rowid DESC`) and
  keeps those in the person's conversations, stopping at the page size; a conversation or author filter,
  and the conversations of someone in few (`META_SCOPE`), are terms of the row's `meta` column that FTS5
  intersects with the words. PostgreSQL first looks at a window of the newest messages (`PG_WINDOW`:
  common terms fill a page there, and the GIN bitmap of a term in most messages would be large), then asks
  the GIN index for older ones, the filter keys (or else the person's conversation keys) narrowing the
  index scan itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.chat.models import Conversation, Member, Message
from kiban.chat.serializers import conversation_title
from kiban.core import search as core_search

FTS_TABLE = "chat_message_fts"
PG_INDEX = "chat_message_search_gin"
# The row's keys in the GIN index: its bigrams, plus "c:<conversation>" and "a:<author>" (three characters
# or more, so never equal to a bigram). A person's conversations then narrow the GIN scan itself (`&&`),
# as do the conversation and author filters (`@>`): only rows that are theirs and hold the words are read.
PG_KEYS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION kiban_message_keys(t text, conversation bigint, author bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT kiban_bigrams(coalesce(t, '')) || ARRAY['c:' || conversation::text, 'a:' || coalesce(author, 0)::text]
$$"""
PG_KEYS = "kiban_message_keys(m.search_text, m.conversation_id, m.author_id)"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_TERMS = 8
MAX_QUERY = 200
# A scope of at most this many messages is read directly (cheaper than walking the index's matches, of
# which the person may see few). Each row read costs a Python normalisation on SQLite (~20 µs).
SMALL_SCOPE = 1000
# One-character terms are not indexed: they are looked for in this many of the scope's newest messages.
SCAN_LIMIT = 2000
# SQLite: a person in at most this many conversations has them in the FTS5 query itself.
META_SCOPE = 32
# PostgreSQL: a scope of at most this many messages is read through the conversation index and each row
# checked against the stored normalised text (~1 µs), never the GIN index: few rows, and no bitmap of every
# message holding a common word.
PG_SMALL_SCOPE = 20000
# PostgreSQL: the newest messages (by id) looked at before the GIN index is asked. A primary-key range with
# cheap checks (conversation, stored normalised text); measured at 1M messages, 20,000 left most phrases to
# the GIN step (p95 ≈ 125 ms) and 100,000 answered them in the window (p95 ≈ 65 ms).
PG_WINDOW = 100000

# The FTS5 row of a message: its bigrams, and `meta` — tokens of its conversation ("c12") and author ("a7"),
# so that a conversation or author filter is a second term FTS5 intersects with the words, not a walk
# through every match. The same expression must be used to write and to delete (contentless table).
_META = "'c' || {row}.conversation_id || ' a' || coalesce({row}.author_id, 0)"
_NEW_META = _META.format(row="new")
_OLD_META = _META.format(row="old")

_TRIGGERS = {
    "chat_message_fts_ai": f"""
        CREATE TRIGGER IF NOT EXISTS chat_message_fts_ai AFTER INSERT ON chat_message
        WHEN new.deleted_at IS NULL BEGIN
          INSERT INTO chat_message_fts(rowid, grams, meta)
            VALUES (new.id, kiban_text_tokens(new.body), {_NEW_META});
        END""",  # noqa: S608 — constant SQL
    "chat_message_fts_ad": f"""
        CREATE TRIGGER IF NOT EXISTS chat_message_fts_ad AFTER DELETE ON chat_message
        WHEN old.deleted_at IS NULL BEGIN
          INSERT INTO chat_message_fts(chat_message_fts, rowid, grams, meta)
            VALUES ('delete', old.id, kiban_text_tokens(old.body), {_OLD_META});
        END""",  # noqa: S608 — constant SQL
    # An edit replaces the tokens; a tombstone (deleted_at set) removes them. One trigger, in this order:
    # contentless FTS5 must forget the old tokens before the same rowid is written again. A person deleted
    # (author set null) or a message moved changes `meta`, so those columns fire it too.
    "chat_message_fts_au": f"""
        CREATE TRIGGER IF NOT EXISTS chat_message_fts_au
        AFTER UPDATE OF body, deleted_at, author_id, conversation_id ON chat_message
        WHEN old.body IS NOT new.body OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)
          OR old.author_id IS NOT new.author_id OR old.conversation_id IS NOT new.conversation_id BEGIN
          INSERT INTO chat_message_fts(chat_message_fts, rowid, grams, meta)
            SELECT 'delete', old.id, kiban_text_tokens(old.body), {_OLD_META} WHERE old.deleted_at IS NULL;
          INSERT INTO chat_message_fts(rowid, grams, meta)
            SELECT new.id, kiban_text_tokens(new.body), {_NEW_META} WHERE new.deleted_at IS NULL;
        END""",
}


# --- Index set-up (migration chat 0002, post_migrate, the benchmark) ---------------------------------------


def install_index(conn=None) -> None:
    """Create the index objects for this engine if missing (idempotent). `conn`: a Django connection."""
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(grams, meta, content='', "
                "tokenize='unicode61')"
            )
            for sql in _TRIGGERS.values():
                cursor.execute(sql)
        elif conn.vendor == "postgresql":
            core_search.install_pg_functions(cursor)
            # The normalised body, computed once per write: normalising in SQL costs ~150 µs a message
            # (translate() of the kana), too much to repeat for every candidate of every query.
            cursor.execute(
                "ALTER TABLE chat_message ADD COLUMN IF NOT EXISTS search_text text "
                "GENERATED ALWAYS AS (kiban_normalize(body)) STORED"
            )
            cursor.execute(PG_KEYS_FUNCTION)
            cursor.execute("DROP INDEX IF EXISTS chat_message_bigrams_gin")  # the first shape (bigrams only)
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON chat_message "
                "USING gin (kiban_message_keys(search_text, conversation_id, author_id)) WHERE deleted_at IS NULL"
            )
            # With the default target, rare bigrams were estimated as common and the planner chose scans.
            cursor.execute(f"ALTER INDEX {PG_INDEX} ALTER COLUMN 1 SET STATISTICS 10000")


def uninstall_index(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for name in _TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif conn.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute("ALTER TABLE chat_message DROP COLUMN IF EXISTS search_text")


def rebuild_index(conn=None) -> None:
    """Re-create the SQLite index from the messages (after a token change, or a bulk load with the triggers
    dropped). No-op on PostgreSQL (REINDEX there)."""
    conn = conn or connection
    if conn.vendor != "sqlite":
        return
    install_index(conn)
    with conn.cursor() as cursor:
        cursor.execute("INSERT INTO chat_message_fts(chat_message_fts) VALUES ('delete-all')")
        cursor.execute(
            "INSERT INTO chat_message_fts(rowid, grams, meta) "  # noqa: S608 — a constant expression
            f"SELECT id, kiban_text_tokens(body), {_META.format(row='chat_message')} "
            "FROM chat_message WHERE deleted_at IS NULL"
        )


def ensure_index(sender=None, using: str = "default", **kwargs) -> None:
    """`post_migrate` receiver. Django's SQLite schema editor rebuilds a table to alter it, which drops its
    triggers; when that has happened to chat_message (or the index is of an older shape), re-create the
    index objects and rebuild the index from the messages."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [FTS_TABLE])
        table = cursor.fetchone()
        if table is None:
            return  # not migrated this far yet
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)",
            list(_TRIGGERS),
        )
        triggers = [row[0] for row in cursor.fetchall()]
    current = "meta" in table[0] and len(triggers) == len(_TRIGGERS) and all("meta" in t for t in triggers)
    if not current:
        with transaction.atomic(using=using):
            uninstall_index(conn)
            rebuild_index(conn)


# --- Search ------------------------------------------------------------------------------------------------


@dataclass
class MessageSearchResult:
    messages: list[Message]  # newest first, with author, conversation, reactions, attachments loaded
    more: bool  # more matches exist (show "50+"; ask again with before_id = the last id)


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _vendor() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _day_start(day: dt.date):
    """The start of `day` in Tokyo as the database stores datetimes (this SQL is raw: on SQLite an aware
    datetime would be compared as text with its +09:00 offset against the stored UTC values)."""
    return connection.ops.adapt_datetimefield_value(
        timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    )


def _scope(user, conversation_id: int | None) -> tuple[list[int], int]:
    """The conversations searched (the person's, or the one asked for if they are a member: else 404) and
    how many messages they hold (their last seq: no gaps, so a count without counting)."""
    members = Member.objects.filter(staff=user)
    if conversation_id is not None:
        members = members.filter(conversation_id=conversation_id)
    rows = list(members.values_list("conversation_id", "conversation__last_seq"))
    if conversation_id is not None and not rows:
        raise Http404
    return [r[0] for r in rows], sum(r[1] for r in rows)


def search_message_ids(
    user,
    q: str,
    *,
    conversation_id: int | None = None,
    author_username: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    before_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[int], bool]:
    """Ids of the matching messages `user` can read, newest first, at most `limit`, and whether there are
    more. Bad input raises ValidationError naming the field (`q`, `user`, `to`); a conversation the person
    is not a member of raises Http404."""
    if len(q or "") > MAX_QUERY:
        raise _field_error("q", _("検索語は%(max)d文字までです。") % {"max": MAX_QUERY})
    terms = core_search.parse_terms(q or "", MAX_TERMS)
    if not terms:
        raise _field_error("q", _("検索語を入力してください。"))
    if date_from and date_to and date_from > date_to:
        raise _field_error("to", _("終了日は開始日以降にしてください。"))
    limit = max(1, min(limit, MAX_LIMIT))

    where = ["m.deleted_at IS NULL"]
    params: list = []
    meta: list[str] = []  # SQLite: the filters as FTS5 terms of the `meta` column
    if author_username:
        author_id = Staff.objects.filter(username=author_username).values_list("pk", flat=True).first()
        if author_id is None:
            raise _field_error("user", _("該当する職員がいません。"))
        where.append("m.author_id = %s")
        params.append(author_id)
        meta.append(f"a{int(author_id)}")
    if date_from:
        where.append("m.created_at >= %s")
        params.append(_day_start(date_from))
    if date_to:
        where.append("m.created_at < %s")
        params.append(_day_start(date_to + dt.timedelta(days=1)))
    vendor = _vendor()
    normalised = "m.search_text" if vendor == "postgresql" else "kiban_normalize(m.body)"
    for term in terms:
        where.append(f"{normalised} LIKE %s ESCAPE '\\'")
        params.append(f"%{core_search.like_escape(term)}%")

    conversation_ids, size = _scope(user, conversation_id)
    if not conversation_ids:
        return [], False
    scope = _scope_condition(vendor, user, conversation_ids, conversation_id)
    if conversation_id is not None:
        meta.append(f"c{int(conversation_id)}")
    elif vendor == "sqlite" and len(conversation_ids) <= META_SCOPE:
        # Someone in few conversations: FTS5 intersects the words with those conversations, instead of
        # walking every match of a common word to find the few that are theirs.
        meta.append("(" + " OR ".join(f"c{int(c)}" for c in conversation_ids) + ")")
    query = _Query(scope[0], scope[1], " AND ".join(where), params, before_id, limit + 1, meta)
    indexed = [t for t in terms if len(t) >= 2]
    if not indexed or size <= SMALL_SCOPE:
        ids = _scan_scope(vendor, query)
    elif vendor == "postgresql" and size <= PG_SMALL_SCOPE:
        ids = _pg_scope(query)
    elif vendor == "sqlite":
        ids = _sqlite_index(query, indexed)
    else:
        ids = _pg_index(query, indexed)
    return ids[:limit], len(ids) > limit


@dataclass
class _Query:
    scope: str  # SQL condition on m.conversation_id
    scope_params: list
    conditions: str  # SQL: not deleted, filters, the substring recheck of every term
    params: list
    before_id: int | None
    limit: int
    meta: list[str]


def _scope_condition(vendor: str, user, conversation_ids: list[int], conversation_id: int | None):
    if conversation_id is not None:
        return "m.conversation_id = %s", [conversation_id]
    if vendor == "postgresql":
        # An array parameter, not a subquery: the planner then knows the list (905 ms → < 100 ms measured).
        return "m.conversation_id = ANY(%s)", [conversation_ids]
    return "m.conversation_id IN (SELECT conversation_id FROM chat_member WHERE staff_id = %s)", [user.pk]


def _run(sql: str, params: list) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _scan_scope(vendor: str, q: _Query) -> list[int]:
    """The newest `SCAN_LIMIT` messages of the scope, each checked (small scopes; one-character terms)."""
    before = " AND m.id < %s" if q.before_id is not None else ""
    # PostgreSQL: OFFSET 0 keeps the bound subquery from being merged into the outer query.
    fence = " OFFSET 0" if vendor == "postgresql" else ""
    # Constant fragments only; every value is a parameter.
    sql = (
        "SELECT m.id FROM chat_message m WHERE m.id IN ("  # noqa: S608
        f"SELECT m.id FROM chat_message m WHERE {q.scope}{before} ORDER BY m.id DESC LIMIT %s{fence}"
        f") AND {q.conditions} ORDER BY m.id DESC LIMIT %s"
    )
    before_params = [q.before_id] if q.before_id is not None else []
    return _run(sql, [*q.scope_params, *before_params, SCAN_LIMIT, *q.params, q.limit])


def _sqlite_index(q: _Query, terms: list[str]) -> list[int]:
    """Walk the FTS5 matches newest first, keeping the person's: stops at the page size. A conversation or
    author filter is part of the MATCH (`meta`), so FTS5 intersects it with the words."""
    match = " AND ".join([core_search.fts_match(terms), *(f"meta : {token}" for token in q.meta)])
    before = " AND f.rowid < %s" if q.before_id is not None else ""
    sql = (
        f"SELECT m.id FROM {FTS_TABLE} f JOIN chat_message m ON m.id = f.rowid "  # noqa: S608
        f"WHERE {FTS_TABLE} MATCH %s{before} AND {q.scope} AND {q.conditions} "
        "ORDER BY f.rowid DESC LIMIT %s"
    )
    before_params = [q.before_id] if q.before_id is not None else []
    return _run(sql, [match, *before_params, *q.scope_params, *q.params, q.limit])


def _pg_scope(q: _Query) -> list[int]:
    """Every message of a smallish scope, checked against the stored normalised text."""
    before = " AND m.id < %s" if q.before_id is not None else ""
    sql = (
        f"SELECT m.id FROM chat_message m WHERE {q.scope}{before} AND {q.conditions} "  # noqa: S608
        "ORDER BY m.id DESC LIMIT %s"
    )
    before_params = [q.before_id] if q.before_id is not None else []
    return _run(sql, [*q.scope_params, *before_params, *q.params, q.limit])


def _pg_index(q: _Query, terms: list[str]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM chat_message")
        top = cursor.fetchone()[0]
    if q.before_id is not None:
        top = min(top, q.before_id - 1)
    floor = top - PG_WINDOW
    # 1. The newest window: a primary-key range, each row of the person's conversations checked.
    window_sql = (
        "SELECT m.id FROM chat_message m "  # noqa: S608
        f"WHERE m.id > %s AND m.id <= %s AND {q.scope} AND {q.conditions} ORDER BY m.id DESC LIMIT %s"
    )
    ids = _run(window_sql, [floor, top, *q.scope_params, *q.params, q.limit])
    if len(ids) >= q.limit or floor <= 0:
        return ids
    # 2. Older messages through the GIN index: the words, the filters and the person's conversations all
    # narrow the index scan, so only their matching rows are read from the table.
    keys = core_search.pg_bigram_array(terms) + [f"{k[0]}:{k[1:]}" for k in q.meta]
    overlap, overlap_params = "", []
    # A conversation or author key is selective on its own; OR-ing the person's conversation keys (≈ 50 ms
    # for 500 at 1M messages) only pays when nothing else narrows the scan.
    if not q.meta:
        overlap = f" AND {PG_KEYS} && %s::text[]"
        overlap_params = [[f"c:{c}" for c in q.scope_params[0]]]
    index_sql = (
        f"SELECT m.id FROM chat_message m WHERE {PG_KEYS} @> %s::text[]{overlap} "  # noqa: S608
        f"AND m.id <= %s AND {q.scope} AND {q.conditions} ORDER BY m.id DESC LIMIT %s"
    )
    older = [keys, *overlap_params, floor, *q.scope_params, *q.params, q.limit - len(ids)]
    return ids + _run(index_sql, older)


def load_messages(ids: list[int]) -> list[Message]:
    """The messages with these ids, in this order, with what `message_out` reads (a few queries)."""
    rows = (
        Message.objects.filter(pk__in=ids)
        .select_related("author", "conversation")
        .prefetch_related("reactions__staff", "attachments", "mention_rows__staff")
    )
    by_id = {m.pk: m for m in rows}
    return [by_id[i] for i in ids if i in by_id]


def search_messages(
    user,
    q: str,
    *,
    conversation_id: int | None = None,
    author_username: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    before_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> MessageSearchResult:
    """Messages `user` can read matching `q`, newest first (see `search_message_ids`)."""
    ids, more = search_message_ids(
        user,
        q,
        conversation_id=conversation_id,
        author_username=author_username,
        date_from=date_from,
        date_to=date_to,
        before_id=before_id,
        limit=limit,
    )
    return MessageSearchResult(messages=load_messages(ids), more=more)


def conversation_titles(user, conversations: list[Conversation]) -> dict[int, str]:
    """What each conversation is called for `user` (a dm or unnamed group: the other members' names)."""
    unnamed = [c.pk for c in conversations if not c.name]
    names: dict[int, list[tuple[int, str]]] = {pk: [] for pk in unnamed}
    if unnamed:
        rows = (
            Member.objects.filter(conversation_id__in=unnamed)
            .select_related("staff")
            .order_by("joined_at", "id")
        )
        for m in rows:
            names[m.conversation_id].append((m.staff_id, m.staff.full_name or m.staff.username))
    return {c.pk: conversation_title(c, names.get(c.pk, []), user.pk) for c in conversations}
