"""The English catalogue is complete and its compiled form matches it (a machine without gettext serves
the committed .mo, so a stale one would show Japanese in the English interface)."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kiban

LOCALE = Path(kiban.__file__).parent / "locale" / "en" / "LC_MESSAGES"


def _joined(block: str) -> str:
    return "".join(ast.literal_eval(line) for line in block.strip().splitlines())


def _entries() -> list[tuple[str, str, list[str], bool]]:
    return [entry[1:] for entry in _entries_with_context()]


def _entries_with_context() -> list[tuple[str | None, str, str, list[str], bool]]:
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
        context = re.search(r'^msgctxt ((?:".*"\n)+)', chunk, re.M)
        result.append(
            (
                _joined(context.group(1)) if context else None,
                msgid,
                _joined(plural.group(1)) if plural else "",
                strs,
                fuzzy,
            )
        )
    return result


def test_every_source_string_has_an_english_translation():
    entries = [e for e in _entries() if e[0]]  # the header has an empty msgid
    assert len(entries) > 200
    untranslated = [msgid for msgid, _plural, strs, fuzzy in entries if fuzzy or not all(strs)]
    assert untranslated == []


def test_compiled_catalogue_matches_the_source():
    with (LOCALE / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for context, msgid, plural, strs, _fuzzy in _entries_with_context():
        if not msgid:
            continue
        if plural and context:
            assert compiled.npgettext(context, msgid, plural, 1) == strs[0]
        elif plural:
            assert compiled.ngettext(msgid, plural, 1) == strs[0]
        elif context:
            assert compiled.pgettext(context, msgid) == strs[0], msgid
        else:
            assert compiled.gettext(msgid) == strs[0], msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext (Debian: gettext)")
def test_catalogue_holds_every_string_marked_in_the_source(tmp_path):
    """A string marked for translation but missing from the catalogue shows Japanese in the English
    interface: extract the sources afresh (into a copy, leaving the real catalogue alone) and compare."""
    copy = tmp_path / "kiban"
    root = Path(kiban.__file__).parent
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("static", "*.mo", "__pycache__", "tests"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kiban.settings"},
    )
    fresh = (copy / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    known = {msgid for msgid, _plural, _strs, _fuzzy in _entries()}
    missing = []
    for chunk in fresh.split("\n\n"):
        found = re.search(r'^msgid ((?:".*"\n)+)', chunk.strip() + "\n", re.M)
        if found and (msgid := _joined(found.group(1))) and msgid not in known:
            missing.append(msgid)
    assert missing == []
