"""The staff directory search index: character bigrams of `Staff.search_text`, indexed on both engines.

Why bigrams: Japanese has no spaces, names are two or three characters, and morphological tokenisers
miss substrings (see the team note on Japanese search). A query term becomes the phrase of its bigrams;
several space-separated terms are ANDed; every candidate is rechecked with a substring match on
`search_text`, so the index only narrows and never decides.

SQLite: a contentless FTS5 table `org_staff_fts` whose rowid is the staff id. Its tokens are the
bigrams of `search_text`, each written as hex code points so that FTS5's tokenizer cannot split or fold
them (it would split "@p" or fold accents). It is kept current by triggers on `accounts_staff` that call
the Python function `kiban_bigram_tokens`, registered on every connection (`register_sqlite_functions`).
Triggers, rather than application calls, because staff rows are written by many hands (HR import, admin,
demo, profile edits, `bulk_create`/`update()`); a trigger runs in the writer's transaction whoever the
writer is, so the index can never be forgotten or half-written. Contentless FTS5 on SQLite 3.40 needs the
old tokens to delete a row; they are recomputed from the old `search_text`, which is why the token
function must never change without a rebuild (`INDEX_VERSION`).

PostgreSQL: a GIN index over the immutable SQL function `kiban_bigrams(search_text)` (text[]) — nothing
to maintain in the application; the statistics target of that expression is raised so that the planner
sees rare bigrams as rare.

Contract for writers: `Staff.save()` computes `search_text`, but `bulk_create`/`bulk_update` do not.
After bulk writes call `reindex_staff(ids)`; it recomputes `search_text`/`sort_key` of those rows, and
the index follows (triggers / GIN).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from kiban.core.text import bigrams, normalize_query

# Bump when `_token` or `bigrams` change; the migration/`rebuild_index()` must then run again.
INDEX_VERSION = 1
FTS_TABLE = "org_staff_fts"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_TERMS = 8

_TRIGGERS = {
    "org_staff_fts_ai": """
        CREATE TRIGGER IF NOT EXISTS org_staff_fts_ai AFTER INSERT ON accounts_staff BEGIN
          INSERT INTO org_staff_fts(rowid, grams) VALUES (new.id, kiban_bigram_tokens(new.search_text));
        END""",
    "org_staff_fts_ad": """
        CREATE TRIGGER IF NOT EXISTS org_staff_fts_ad AFTER DELETE ON accounts_staff BEGIN
          INSERT INTO org_staff_fts(org_staff_fts, rowid, grams)
            VALUES ('delete', old.id, kiban_bigram_tokens(old.search_text));
        END""",
    "org_staff_fts_au": """
        CREATE TRIGGER IF NOT EXISTS org_staff_fts_au AFTER UPDATE OF search_text ON accounts_staff
        WHEN old.search_text IS NOT new.search_text BEGIN
          INSERT INTO org_staff_fts(org_staff_fts, rowid, grams)
            VALUES ('delete', old.id, kiban_bigram_tokens(old.search_text));
          INSERT INTO org_staff_fts(rowid, grams) VALUES (new.id, kiban_bigram_tokens(new.search_text));
        END""",
}

PG_FUNCTION = r"""
CREATE OR REPLACE FUNCTION kiban_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}'::text[]) FROM (
    SELECT CASE WHEN length(w) = 1 THEN w ELSE substr(w, i, 2) END AS g
    FROM regexp_split_to_table(t, '\s+') AS w,
         generate_series(1, greatest(length(w) - 1, 1)) AS i
    WHERE w <> ''
  ) AS grams
$$"""
PG_INDEX = "org_staff_bigrams_gin"


def _token(gram: str) -> str:
    # Fixed-width hex code points: one FTS5 token per bigram whatever its characters.
    return "".join(f"{ord(ch):06x}" for ch in gram)


def bigram_tokens(search_text: str | None) -> str:
    """The FTS5 document for one staff row (registered in SQLite as `kiban_bigram_tokens`)."""
    return " ".join(_token(g) for g in bigrams(search_text or ""))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: the triggers call this function, so every connection needs it."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("kiban_bigram_tokens", 1, bigram_tokens, deterministic=True)


# --- Index set-up (called from the migration and after any later migration) ---------------------------


def install_index(conn=None) -> None:
    """Create the index objects for this engine if missing. Idempotent. `conn`: a Django connection."""
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS org_staff_fts USING fts5(grams, content='', "
                "tokenize='unicode61')"
            )
            for sql in _TRIGGERS.values():
                cursor.execute(sql)
        elif conn.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON accounts_staff USING gin (kiban_bigrams(search_text))"
            )
            # With the default target, rare bigrams were estimated as common and the planner chose scans.
            cursor.execute(f"ALTER INDEX {PG_INDEX} ALTER COLUMN 1 SET STATISTICS 10000")


def uninstall_index(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for name in _TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS org_staff_fts")
        elif conn.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute("DROP FUNCTION IF EXISTS kiban_bigrams(text)")


def rebuild_index(conn=None) -> None:
    """Re-create the SQLite index from `search_text` (after a token change). No-op on PostgreSQL."""
    conn = conn or connection
    if conn.vendor != "sqlite":
        return
    install_index(conn)
    with conn.cursor() as cursor:
        cursor.execute("INSERT INTO org_staff_fts(org_staff_fts) VALUES ('delete-all')")
        cursor.execute(
            "INSERT INTO org_staff_fts(rowid, grams) "
            "SELECT id, kiban_bigram_tokens(search_text) FROM accounts_staff"
        )


def ensure_index(sender=None, using: str = "default", **kwargs) -> None:
    """`post_migrate` receiver. Django's SQLite schema editor rebuilds a table to alter it, which drops
    its triggers; when that has happened, put them back and rebuild the index from the table."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)",
            list(_TRIGGERS),
        )
        present = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = %s", [FTS_TABLE])
        has_table = cursor.fetchone()[0]
    if not has_table:
        return  # not migrated this far yet
    if present != len(_TRIGGERS):
        with transaction.atomic(using=using):
            rebuild_index(conn)


def reindex_staff(ids: Iterable[int]) -> int:
    """Recompute `search_text` and `sort_key` of these staff rows and bring the search index up to date.

    Call it after `Staff.objects.bulk_create(...)` / `bulk_update(...)` (which skip `Staff.save()`), inside
    the same transaction. Returns the number of rows whose search fields changed. Safe to call repeatedly.
    """
    from kiban.accounts.models import Staff

    ids = list(ids)
    changed: list[Staff] = []
    for start in range(0, len(ids), 1000):
        for person in Staff.objects.filter(pk__in=ids[start : start + 1000]):
            before = (person.search_text, person.sort_key)
            person.refresh_search_fields()
            if (person.search_text, person.sort_key) != before:
                changed.append(person)
    if changed:
        Staff.objects.bulk_update(changed, ["search_text", "sort_key"], batch_size=1000)
    return len(changed)


# --- Search ------------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    staff: list  # list[Staff], in result order
    more: bool  # more matches exist than were returned ("50+")


def parse_terms(query: str) -> list[str]:
    terms = normalize_query(query).split()
    # Same term twice adds nothing; an absurd number of terms is cut rather than refused.
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_staff_ids(
    query: str,
    *,
    include_retired: bool = False,
    department_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[int], bool]:
    """Ids of matching staff, best first, at most `limit`, and whether there were more.

    Order: people whose name, reading or romaji starts with the first term, then 五十音 (`sort_key`).
    Terms of two or more characters go through the index. A query of one-character terms only matches
    a prefix of the reading or the name (no index serves a single character well); beside a longer
    term, a one-character term may match anywhere.
    """
    terms = parse_terms(query)
    limit = max(1, min(limit, MAX_LIMIT))
    where: list[str] = []
    params: list = []
    vendor = connection.vendor
    indexed = [t for t in terms if len(t) >= 2]
    short = [t for t in terms if len(t) < 2]

    if indexed:
        if vendor == "sqlite":
            phrases = " AND ".join('"' + " ".join(_token(g) for g in bigrams(t)) + '"' for t in indexed)
            where.append("s.id IN (SELECT rowid FROM org_staff_fts WHERE org_staff_fts MATCH %s)")
            params.append(phrases)
        else:
            grams = sorted({g for t in indexed for g in bigrams(t)})
            where.append("kiban_bigrams(s.search_text) @> %s::text[]")
            params.append(grams)
    for term in indexed:
        where.append("s.search_text LIKE %s ESCAPE '\\'")
        params.append(f"%{_like_escape(term)}%")
    for term in short:
        if indexed:
            # The indexed terms already narrow the rows: a one-character term is a plain recheck.
            where.append("s.search_text LIKE %s ESCAPE '\\'")
            params.append(f"%{_like_escape(term)}%")
        else:
            where.append("(s.sort_key LIKE %s ESCAPE '\\' OR s.search_text LIKE %s ESCAPE '\\')")
            params.extend([f"{_like_escape(term)}%"] * 2)
    if not include_retired:
        where.append("s.is_active")
    if department_id is not None:
        where.append("s.id IN (SELECT m.staff_id FROM org_membership m WHERE m.department_id = %s)")
        params.append(department_id)

    order = "s.sort_key, s.username"
    order_params: list = []
    if terms:
        prefix = f"{_like_escape(terms[0])}%"
        order = (
            "CASE WHEN s.search_text LIKE %s ESCAPE '\\' OR s.sort_key LIKE %s ESCAPE '\\' "
            "OR lower(s.romaji) LIKE %s ESCAPE '\\' THEN 0 ELSE 1 END, " + order
        )
        order_params = [prefix, prefix, prefix]

    # Only the constant fragments above are joined here; every value is a parameter.
    sql = (
        "SELECT s.id FROM accounts_staff s"  # noqa: S608
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {order} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *order_params, limit + 1])
        ids = [row[0] for row in cursor.fetchall()]
    return ids[:limit], len(ids) > limit


def search_staff(
    query: str,
    *,
    include_retired: bool = False,
    department_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> SearchResult:
    """Matching staff with their memberships and departments loaded (three queries in all)."""
    from kiban.accounts.models import Staff
    from kiban.org.queries import staff_with_departments

    ids, more = search_staff_ids(
        query, include_retired=include_retired, department_id=department_id, limit=limit
    )
    by_id = {person.pk: person for person in staff_with_departments(Staff.objects.filter(pk__in=ids))}
    return SearchResult(staff=[by_id[i] for i in ids if i in by_id], more=more)
