"""The English catalogue is complete and its compiled form matches it (a machine without gettext serves
the committed .mo, so a stale one would show Japanese in the English interface)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import kiban

LOCALE = Path(kiban.__file__).parent / "locale" / "en" / "LC_MESSAGES"


def _joined(block: str) -> str:
    return "".join(ast.literal_eval(line) for line in block.strip().splitlines())


def _entries() -> list[tuple[str, str, list[str], bool]]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8") + "\n"
    result = []
    for chunk in text.split("\n\n"):
        chunk = chunk.strip() + "\n"
        if chunk.startswith("#~") or "msgid" not in chunk:
            continue
        fuzzy = "#, fuzzy" in chunk or re.search(r"^#,.*fuzzy", chunk, re.M) is not None
        msgid = _joined(re.search(r'^msgid ((?:".*"\n)+)', chunk, re.M).group(1))
        plural = re.search(r'^msgid_plural ((?:".*"\n)+)', chunk, re.M)
        strs = [_joined(m.group(1)) for m in re.finditer(r'^msgstr(?:\[\d\])? ((?:".*"\n)+)', chunk, re.M)]
        result.append((msgid, _joined(plural.group(1)) if plural else "", strs, fuzzy))
    return result


def test_every_source_string_has_an_english_translation():
    entries = [e for e in _entries() if e[0]]  # the header has an empty msgid
    assert len(entries) > 200
    untranslated = [msgid for msgid, _plural, strs, fuzzy in entries if fuzzy or not all(strs)]
    assert untranslated == []


def test_compiled_catalogue_matches_the_source():
    with (LOCALE / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for msgid, plural, strs, _fuzzy in _entries():
        if not msgid:
            continue
        if plural:
            assert compiled.ngettext(msgid, plural, 1) == strs[0]
        else:
            assert compiled.gettext(msgid) == strs[0], msgid
