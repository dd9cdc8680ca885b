"""The staff directory search index: character bigrams of `Staff.search_text`, indexed on both engines.

Why bigrams: Japanese has no spaces, names are two or three characters, and morphological tokenisers
miss substrings (see the team note on Japanese search). A query term becomes the phrase of its bigrams;
several space-separated terms are ANDed; every candidate is rechecked with a substring match on
`search_text`, so the index only narrows and never decides.

SQLite: a contentless FTS5 table `org_staff_fts` whose rowid is the staff id, its tokens the bigrams of
`search_text` (the shared machinery and its rules are in `kiban.core.search`). It is kept current by
triggers on `accounts_staff` that call `kiban_bigram_tokens`. Triggers, rather than application calls,
because staff rows are written by many hands (HR import, admin, demo, profile edits,
`bulk_create`/`update()`); a trigger runs in the writer's transaction whoever the writer is, so the index
can never be forgotten or half-written.

PostgreSQL: a GIN index over the immutable SQL function `kiban_bigrams(search_text)` (text[]) — nothing
to maintain in the application; the statistics target of that expression is raised so that the planner
sees rare bigrams as rare.

Contract for writers: `Staff.save()` computes `search_text`, but `bulk_create`/`bulk_update` do not.
After bulk writes call `reindex_staff(ids)`; it recomputes `search_text`/`sort_key` of those rows, and
the index follows (triggers / GIN).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, make_dataclass

from django.db import connection, transaction

from kiban.accounts.models import SEARCH_FIELDS, Staff
from kiban.core import search as core_search
from kiban.core.search import INDEX_VERSION, PG_BIGRAMS_FUNCTION, bigram_tokens, like_escape
from kiban.core.text import canonical_romaji, is_romaji_word, normalize
from kiban.org.models import Department, Membership
from kiban.org.queries import department_label, name_is_shared
from kiban.org.schemas import STAFF_COLUMNS

__all__ = ["INDEX_VERSION", "bigram_tokens", "search_staff", "search_staff_ids"]
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

PG_FUNCTION = PG_BIGRAMS_FUNCTION
PG_INDEX = "org_staff_bigrams_gin"


# --- Index set-up (called from the migration and after any later migration) ---------------------------


# Covering indexes for the first step of a search (prefix ranges): each holds the key, then the 五十音
# order and the active flag, so a branch is answered from the index alone and sorted without the table.
_COVER = "sort_key, username, is_active, id"
PREFIX_INDEXES = {
    "sqlite": [
        "CREATE INDEX IF NOT EXISTS org_staff_prefix_reading ON accounts_staff (sort_key, username, is_active, id)",
        f"CREATE INDEX IF NOT EXISTS org_staff_prefix_name ON accounts_staff (substr(search_text, 1, 64), {_COVER})",
        f"CREATE INDEX IF NOT EXISTS org_staff_prefix_romaji ON accounts_staff (lower(romaji), {_COVER})",
        f"CREATE INDEX IF NOT EXISTS org_staff_prefix_email ON accounts_staff (lower(email), {_COVER})",
        f"CREATE INDEX IF NOT EXISTS org_staff_prefix_extension ON accounts_staff (extension, {_COVER})",
    ],
    # "C" collation: prefix ranges are only exact in code point order, whatever the database's locale.
    # INCLUDE the base column: PostgreSQL answers from an expression index alone (index-only scan) only when
    # the column the expression reads is in the index too.
    "postgresql": [
        'CREATE INDEX IF NOT EXISTS org_staff_prefix_reading ON accounts_staff ((sort_key COLLATE "C"), '
        f"{_COVER})",
        "CREATE INDEX IF NOT EXISTS org_staff_prefix_name ON accounts_staff "
        f'((substr(search_text, 1, 64) COLLATE "C"), {_COVER}) INCLUDE (search_text)',
        'CREATE INDEX IF NOT EXISTS org_staff_prefix_romaji ON accounts_staff ((lower(romaji) COLLATE "C"), '
        f"{_COVER}) INCLUDE (romaji)",
        'CREATE INDEX IF NOT EXISTS org_staff_prefix_email ON accounts_staff ((lower(email) COLLATE "C"), '
        f"{_COVER}) INCLUDE (email)",
        'CREATE INDEX IF NOT EXISTS org_staff_prefix_extension ON accounts_staff ((extension COLLATE "C"), '
        f"{_COVER})",
    ],
}


def install_prefix_indexes(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        for sql in PREFIX_INDEXES.get(conn.vendor, []):
            cursor.execute(sql)


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
    install_prefix_indexes(conn)  # a table rebuild drops raw expression indexes too (IF NOT EXISTS: cheap)
    if present != len(_TRIGGERS):
        with transaction.atomic(using=using):
            rebuild_index(conn)


def reindex_staff(ids: Iterable[int]) -> int:
    """Recompute `search_text` and `sort_key` of these staff rows and bring the search index up to date.

    Call it after `Staff.objects.bulk_create(...)` / `bulk_update(...)` (which skip `Staff.save()`), inside
    the same transaction. Returns the number of rows whose search fields changed. Safe to call repeatedly.
    """
    ids = list(ids)
    changed: list[Staff] = []
    for start in range(0, len(ids), 1000):
        for person in Staff.objects.filter(pk__in=ids[start : start + 1000]):
            before = [getattr(person, field) for field in SEARCH_FIELDS]
            person.refresh_search_fields()
            if [getattr(person, field) for field in SEARCH_FIELDS] != before:
                changed.append(person)
    if changed:
        Staff.objects.bulk_update(changed, list(SEARCH_FIELDS), batch_size=1000)
    return len(changed)


# --- Search ------------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    staff: list[StaffHit]  # in result order
    more: bool  # more matches exist than were returned ("50+")


def parse_terms(query: str) -> list[str]:
    """Normalised terms; a romanised name in its canonical form (`satou`, `satoh` → `sato`), which
    `search_text` holds beside the romaji as written."""
    terms = [
        canonical_romaji(t) if is_romaji_word(t) else t for t in core_search.parse_terms(query, MAX_TERMS)
    ]
    return list(dict.fromkeys(terms))


def department_terms(terms: list[str]) -> dict[str, list[int]]:
    """Terms that name a department (`総務` in `さいとう 総務`): each with the ids of the active departments
    whose name (or kana reading) contains it, and of everything below them (総務部 takes in its 課 and 係).

    Departments are few (hundreds), so they are matched here in one query rather than indexed."""
    candidates = [t for t in terms if len(t) >= 2 and not t.isascii()]
    if not candidates:
        return {}
    rows = list(Department.objects.filter(is_active=True).values_list("id", "parent_id", "name", "name_kana"))
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id, _name, _kana in rows:
        children.setdefault(parent_id, []).append(dept_id)
    matches: dict[str, list[int]] = {}
    for term in candidates:
        found = [
            d for d, _p, name, kana in rows if term in normalize(name) or (kana and term in normalize(kana))
        ]
        subtree, stack = set(), list(found)
        while stack:
            dept_id = stack.pop()
            if dept_id not in subtree:
                subtree.add(dept_id)
                stack.extend(children.get(dept_id, []))
        if subtree:
            matches[term] = sorted(subtree)
    return matches


_like_escape = like_escape


# Upper bound of a prefix range: compares above every string that starts with the prefix (code point
# order on SQLite's BINARY collation and PostgreSQL's "C" collation).
_TOP = chr(0x10FFFF)
_PREFIX_KEYS = {
    # name → the indexed expression. Each is a B-tree range scan: a prefix query on 100,000 staff touches
    # only the people it returns.
    "sqlite": {
        "reading": "s.sort_key",
        "name": "substr(s.search_text, 1, 64)",
        "romaji": "lower(s.romaji)",
        "email": "lower(s.email)",
        "extension": "s.extension",
    },
    "postgresql": {
        "reading": 's.sort_key COLLATE "C"',
        "name": 'substr(s.search_text, 1, 64) COLLATE "C"',
        "romaji": 'lower(s.romaji) COLLATE "C"',
        "email": 'lower(s.email) COLLATE "C"',
        "extension": 's.extension COLLATE "C"',
    },
}


def _filters(
    terms: list[str],
    *,
    include_retired: bool,
    department_id: int | None,
    departments: dict[str, list[int]] | None = None,
) -> tuple[list[str], list]:
    """Conditions every result must meet: each term is a substring of `search_text` (the recheck), or, for
    a term in `departments`, the person is a member of one of those departments."""
    where: list[str] = []
    params: list = []
    departments = departments or {}
    for term in terms:
        if term in departments:
            ids = departments[term]
            placeholders = ", ".join(["%s"] * len(ids))
            where.append(
                "(s.search_text LIKE %s ESCAPE '\\' OR s.id IN (SELECT m.staff_id FROM org_membership m "  # noqa: S608
                f"WHERE m.department_id IN ({placeholders})))"
            )
            params.extend([f"%{_like_escape(term)}%", *ids])
            continue
        where.append("s.search_text LIKE %s ESCAPE '\\'")
        params.append(f"%{_like_escape(term)}%")
    if not include_retired:
        where.append("s.is_active")
    if department_id is not None:
        where.append("s.id IN (SELECT m.staff_id FROM org_membership m WHERE m.department_id = %s)")
        params.append(department_id)
    return where, params


# 五十音 order is code point order of the hiragana reading; on PostgreSQL it is asked for in the "C" collation
# explicitly, so it is exact whatever the database's locale.
def _order(vendor: str, alias: str = "s") -> str:
    if vendor == "postgresql":
        return f'{alias}.sort_key COLLATE "C", {alias}.username COLLATE "C"'
    return f"{alias}.sort_key, {alias}.username"


def _fenced(vendor: str, select: str, where: str, limit_placeholder: str = "%s") -> str:
    """`SELECT … WHERE … ORDER BY 五十音 LIMIT n`, with the WHERE evaluated first on PostgreSQL.

    Left alone, PostgreSQL's planner walks the 五十音-ordered index and filters each row, betting that
    LIMIT stops it early; for a condition that matches few rows, or rows far down the order (佐藤 is at
    さ), it read 36,000 rows (100 ms). `OFFSET 0` is the documented fence that makes the subquery run on its
    own: the narrow range or the bigram index first, then a sort of what it found. SQLite's planner already
    does this."""
    if vendor == "postgresql":
        return (
            f"SELECT * FROM (SELECT {select} FROM accounts_staff s WHERE {where} OFFSET 0) AS s "  # noqa: S608
            f"ORDER BY {_order(vendor)} LIMIT {limit_placeholder}"
        )
    return f"SELECT {select} FROM accounts_staff s WHERE {where} ORDER BY {_order(vendor)} LIMIT {limit_placeholder}"  # noqa: S608


def _vendor() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _select_ids(where: list[str], params: list, limit: int, offset: int = 0) -> list[int]:
    # Only constant fragments are joined into the SQL; every value is a parameter.
    sql = _fenced(_vendor(), "s.id, s.sort_key, s.username", " AND ".join(where), "%s OFFSET %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return [row[0] for row in cursor.fetchall()]


def _prefix_ids(vendor: str, first: str, limit: int) -> list[int]:
    """Step 1 of a one-term search: active people with a key starting with the term, best `limit` in
    五十音 order. One branch per key, each taking its own best `limit` from its index, merged by UNION and
    cut again: exact, because each branch's top holds every one of its rows that can be in the overall top."""
    keys = _PREFIX_KEYS[vendor]
    # A key that cannot start with this term is not asked: romaji only for Latin letters, an email address
    # only for a term that looks like one (else "sato" reads every sato.*@ address beside every Sato),
    # an extension only for a term with a digit.
    wanted = ["reading", "name"]
    if first.isascii():
        wanted.append("romaji")
        if "@" in first or "." in first:
            wanted.append("email")
        if any(ch.isdigit() for ch in first):
            wanted.append("extension")
    # Constant fragments only; values are parameters.
    branches = [
        "SELECT * FROM ("  # noqa: S608
        + _fenced(
            vendor,
            "s.id, s.sort_key, s.username",
            f"{expression} >= %s AND {expression} < %s AND s.is_active",
        )
        + ") AS b"
        for expression in (keys[name] for name in wanted)
    ]
    sql = (
        "SELECT u.id FROM (" + " UNION ".join(branches) + f") AS u ORDER BY {_order(vendor, 'u')} LIMIT %s"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*[first, first + _TOP, limit] * len(branches), limit])
        return [row[0] for row in cursor.fetchall()]


def _contains_condition(vendor: str, terms: list[str]) -> tuple[str, list]:
    """People whose `search_text` holds every term's bigrams: the FTS5 table or the GIN index."""
    if vendor == "sqlite":
        return (
            "s.id IN (SELECT rowid FROM org_staff_fts WHERE org_staff_fts MATCH %s)",
            [core_search.fts_match(terms)],
        )
    return "kiban_bigrams(s.search_text) @> %s::text[]", [core_search.pg_bigram_array(terms)]


def search_staff_ids(
    query: str,
    *,
    include_retired: bool = False,
    department_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> tuple[list[int], bool]:
    """Ids of matching staff, best first, at most `limit` after skipping `offset`, and whether there were
    more. Listing everyone (no terms) pages in SQL (LIMIT/OFFSET on the 五十音 index), so the last page of
    100,000 people costs one indexed query; a search ranks the rows up to its page (searches are short).

    Order: people whose name, reading, romaji, email or extension starts with the first term, then the
    others; each group in 五十音 order.

    One term (the common case) takes two steps, each served by an index:
    1. prefix matches by B-tree range scans (`_prefix_ids`). For a common surname this alone fills the
       page, so the bigram index is never asked for thousands of rows only to rank them;
    2. if the page is not full, people containing the term anywhere (bigram index: FTS5 on SQLite, GIN on
       PostgreSQL), after the first group.
    Several terms (or a department filter): the bigram index of all terms narrows to few rows, ranked in
    one query. Every bigram candidate is rechecked with a substring match of every term on `search_text`.
    A term with "@" is an email address: it matches by prefix only (its bigrams, the domain's above all,
    are in every row). One-character terms are not indexed: a query of only those matches by prefix.
    Among several terms, one that names a department (`department_terms`) matches the name or the
    membership, so `さいとう 総務` is a Saito in 総務部 or below. A romanised term matches in any romanisation
    (`parse_terms`).
    """
    terms = parse_terms(query)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    # With several terms, one may name a department (`さいとう 総務`): a single term stays a name search.
    departments = department_terms(terms) if len(terms) > 1 else {}
    where, params = _filters(
        terms, include_retired=include_retired, department_id=department_id, departments=departments
    )
    if not terms:
        ids = _select_ids(where or ["1 = 1"], params, limit + 1, offset)
        return ids[:limit], len(ids) > limit
    limit = offset + limit  # rank everything up to the page, then cut the page out

    vendor = _vendor()
    first = terms[0]
    emails = [t for t in terms if "@" in t]
    indexed = [t for t in terms if len(t) >= 2 and "@" not in t and t not in departments]

    if len(terms) == 1 and not include_retired and department_id is None:
        # The common case — one name, reading, romaji, extension or address — answered in two steps.
        ids = _prefix_ids(vendor, first, limit + 1)
        if len(ids) > limit or not indexed:
            return ids[offset:limit], len(ids) > limit
        condition, condition_params = _contains_condition(vendor, indexed)
        exclude = [f"s.id NOT IN ({', '.join(['%s'] * len(ids))})"] if ids else []
        ids += _select_ids(
            [condition, *exclude, *where], [*condition_params, *ids, *params], limit + 1 - len(ids)
        )
        return ids[offset:limit], len(ids) > limit

    # Several terms (or a filter): the bigram index narrows to few rows, ranked in one query: a prefix
    # match of the first term first, then 五十音.
    conditions: list[str] = []
    condition_params: list = []
    if indexed:
        condition, condition_params = _contains_condition(vendor, indexed)
        conditions.append(condition)
    for email in emails:
        expression = _PREFIX_KEYS[vendor]["email"]
        conditions.append(f"{expression} >= %s AND {expression} < %s")
        condition_params.extend([email, email + _TOP])
    if not indexed and not emails and not departments:
        # Only one-character terms: no index serves them well; match the start of the reading or name.
        expression = _PREFIX_KEYS[vendor]["reading"]
        name = _PREFIX_KEYS[vendor]["name"]
        conditions.append(f"(({expression} >= %s AND {expression} < %s) OR ({name} >= %s AND {name} < %s))")
        condition_params.extend([first, first + _TOP, first, first + _TOP])
    prefix = f"{_like_escape(first)}%"
    sql = (
        "SELECT s.id FROM accounts_staff s WHERE "  # noqa: S608
        + " AND ".join([*conditions, *where])
        + " ORDER BY CASE WHEN s.search_text LIKE %s ESCAPE '\\' OR s.sort_key LIKE %s ESCAPE '\\' "
        f"OR lower(s.romaji) LIKE %s ESCAPE '\\' THEN 0 ELSE 1 END, {_order(vendor)} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*condition_params, *params, prefix, prefix, prefix, limit + 1])
        ids = [row[0] for row in cursor.fetchall()]
    return ids[offset:limit], len(ids) > limit


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    name: str

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True)
class PostHit:
    """A membership as a search result shows it (duck-types `Membership` for templates and the API)."""

    department: DepartmentRef
    title: str
    is_primary: bool
    is_head: bool
    department_label: str = ""

    @property
    def department_id(self) -> int:
        return self.department.id


class _HitNames:
    @property
    def pk(self) -> int:
        return self.id

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()


# A person in a result list: the staff object's columns (`org.schemas.STAFF_COLUMNS`, derived from `StaffOut`,
# so the two cannot drift apart), plus `id`, `is_active` and the posts; `staff_out(hit)` gives the API object.
# Read with `values_list`, not as model instances: building 50 `Staff` and 100 `Membership` objects cost
# 6-8 ms, more than the search itself.
StaffHit = make_dataclass(
    "StaffHit",
    [("id", int), *[(name, str) for name in STAFF_COLUMNS], ("is_active", bool),
     ("posts", list, field(default_factory=list))],
    bases=(_HitNames,),
)  # fmt: skip

_HIT_FIELDS = ["id", *STAFF_COLUMNS, "is_active"]


def load_hits(ids: list[int]) -> list[StaffHit]:
    """The people with these ids, in this order, with their posts (primary first): two queries."""

    by_id = {row[0]: StaffHit(*row) for row in Staff.objects.filter(pk__in=ids).values_list(*_HIT_FIELDS)}
    if by_id:
        rows = (
            Membership.objects.filter(staff_id__in=by_id)
            .annotate(shared_name=name_is_shared("department_id"))
            .order_by("-is_primary", "department__order", "department__code")
            .values_list(
                "staff_id", "department_id", "department__name", "department__parent__name", "shared_name",
                "title", "is_primary", "is_head",
            )
        )  # fmt: skip
        for staff_id, dept_id, dept_name, parent_name, shared, title, is_primary, is_head in rows:
            label = department_label(dept_name, parent_name, shared)
            by_id[staff_id].posts.append(
                PostHit(DepartmentRef(dept_id, dept_name), title, is_primary, is_head, label)
            )
    return [by_id[i] for i in ids if i in by_id]


def search_staff(
    query: str,
    *,
    include_retired: bool = False,
    department_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> SearchResult:
    """Matching staff (`StaffHit`) with their posts (three or four queries in all)."""
    ids, more = search_staff_ids(
        query, include_retired=include_retired, department_id=department_id, limit=limit, offset=offset
    )
    return SearchResult(staff=load_hits(ids), more=more)
