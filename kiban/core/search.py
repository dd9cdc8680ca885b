"""Bigram full-text indexes shared by every Japanese search (the directory, chat messages).

Why bigrams: Japanese has no spaces and morphological tokenisers miss substrings (異動 inside 人事異動;
see the team note on Japanese search). Text is normalised (`kiban.core.text.normalize`), cut into
overlapping two-character grams per word, and indexed; a query term becomes the phrase of its bigrams,
several terms are ANDed, and every candidate is rechecked with a substring match, so the index only
narrows and never decides. One-character terms are not indexed.

SQLite: contentless FTS5 tables whose tokens are the bigrams written as fixed-width hex code points (so
that FTS5's tokenizer cannot split or fold them), kept current by triggers that call the Python functions
registered here on every connection (`register_sqlite_functions`, a `connection_created` receiver):
- `kiban_bigram_tokens(normalised_text)` — the document of a text that is already normalised;
- `kiban_text_tokens(text)` — normalise, then the same;
- `kiban_normalize(text)` — `kiban.core.text.normalize`, for the substring recheck.
Contentless FTS5 on SQLite 3.40 needs the old tokens to delete a row; triggers recompute them from the old
text, which is why the token functions must never change without a rebuild (`INDEX_VERSION`).

PostgreSQL: GIN indexes over the immutable SQL function `kiban_bigrams(text) → text[]`, and
`kiban_normalize(text)`, the SQL twin of `kiban.core.text.normalize` (NFKC, lower case, katakana →
hiragana, variant kanji), so that an index over `kiban_bigrams(kiban_normalize(body))` needs no application
code on insert, edit or delete.
"""

from __future__ import annotations

from kiban.core.text import _VARIANTS, bigrams, normalize, normalize_query

# Bump when `token`, `bigrams` or `normalize` change; every index built from them must then be rebuilt.
INDEX_VERSION = 1


def token(gram: str) -> str:
    """Fixed-width hex code points: one FTS5 token per bigram whatever its characters."""
    return "".join(f"{ord(ch):06x}" for ch in gram)


def bigram_tokens(normalized: str | None) -> str:
    """The FTS5 document of an already normalised text (SQLite: `kiban_bigram_tokens`)."""
    return " ".join(token(g) for g in bigrams(normalized or ""))


def text_tokens(text: str | None) -> str:
    """The FTS5 document of a text as written (SQLite: `kiban_text_tokens`)."""
    return bigram_tokens(normalize(text or ""))


def _normalize_or_null(text: str | None) -> str | None:
    return None if text is None else normalize(text)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: search triggers and rechecks call these, so every connection needs them."""
    if connection.vendor == "sqlite":
        raw = connection.connection
        raw.create_function("kiban_bigram_tokens", 1, bigram_tokens, deterministic=True)
        raw.create_function("kiban_text_tokens", 1, text_tokens, deterministic=True)
        raw.create_function("kiban_normalize", 1, _normalize_or_null, deterministic=True)


# --- PostgreSQL functions -----------------------------------------------------------------------------------

PG_BIGRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION kiban_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}'::text[]) FROM (
    SELECT CASE WHEN length(w) = 1 THEN w ELSE substr(w, i, 2) END AS g
    FROM regexp_split_to_table(t, '\s+') AS w,
         generate_series(1, greatest(length(w) - 1, 1)) AS i
    WHERE w <> ''
  ) AS grams
$$"""


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def pg_normalize_function() -> str:
    """`kiban_normalize(text)`: the same steps as `kiban.core.text.normalize`, in the same order."""
    katakana = "".join(chr(c) for c in range(ord("ァ"), ord("ヶ") + 1))
    hiragana = "".join(chr(c - (ord("ァ") - ord("ぁ"))) for c in range(ord("ァ"), ord("ヶ") + 1))
    variants_from = "".join(_VARIANTS)
    variants_to = "".join(_VARIANTS.values())
    return (
        "CREATE OR REPLACE FUNCTION kiban_normalize(t text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT translate(translate("
        "lower(normalize(translate(t, '゛゜', U&'\\3099\\309A'), NFKC)), "
        f"{_sql_literal(katakana)}, {_sql_literal(hiragana)}), "
        f"{_sql_literal(variants_from)}, {_sql_literal(variants_to)}) $$"
    )


def install_pg_functions(cursor) -> None:
    cursor.execute(PG_BIGRAMS_FUNCTION)
    cursor.execute(pg_normalize_function())


# --- Queries --------------------------------------------------------------------------------------------------


def parse_terms(query: str, max_terms: int = 8) -> list[str]:
    """Normalised, space-separated terms; the same term twice once; an absurd number cut, not refused."""
    return list(dict.fromkeys(normalize_query(query).split()))[:max_terms]


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression: each term the phrase of its bigram tokens, all terms ANDed."""
    return " AND ".join('"' + " ".join(token(g) for g in bigrams(t)) + '"' for t in terms)


def pg_bigram_array(terms: list[str]) -> list[str]:
    """Every bigram of every term: the row's `kiban_bigrams(...)` must contain them all (`@>`)."""
    return sorted({g for t in terms for g in bigrams(t)})
