"""Every app's English catalogue (`kiban/<app>/locale/en/`) is complete and its compiled form matches it (a
machine without gettext serves the committed .mo, so a stale one would show Japanese in the English
interface)."""

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
from django.apps import apps

from kiban.core import modules

ROOT = Path(__file__).resolve().parents[2]  # kiban/


def _app_dirs() -> list[Path]:
    return [Path(module.path) for module in modules.modules()]


def _catalogues() -> list[Path]:
    return [d / "locale" / "en" / "LC_MESSAGES" for d in _app_dirs() if (d / "locale").is_dir()]


def _joined(block: str) -> str:
    return "".join(ast.literal_eval(line) for line in block.strip().splitlines())


def _entries(locale: Path) -> list[tuple[str, str, list[str], bool]]:
    return [entry[1:] for entry in _entries_with_context(locale)]


def _entries_with_context(locale: Path) -> list[tuple[str | None, str, str, list[str], bool]]:
    text = (locale / "django.po").read_text(encoding="utf-8") + "\n"
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


def test_every_kiban_app_is_a_module_and_the_catalogues_are_its_own():
    """No project-wide catalogue: a module brings its strings with it."""
    kiban_apps = [c for c in apps.get_app_configs() if c.name.startswith("kiban.")]
    assert kiban_apps == modules.modules()
    assert not (ROOT / "locale").exists()
    assert len(_catalogues()) >= 8


@pytest.mark.parametrize("locale", _catalogues(), ids=lambda p: p.parents[2].name)
def test_every_source_string_has_an_english_translation(locale):
    entries = [e for e in _entries(locale) if e[0]]  # the header has an empty msgid
    assert entries
    untranslated = [msgid for msgid, _plural, strs, fuzzy in entries if fuzzy or not all(strs)]
    assert untranslated == []


@pytest.mark.parametrize("locale", _catalogues(), ids=lambda p: p.parents[2].name)
def test_compiled_catalogue_matches_the_source(locale):
    with (locale / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for context, msgid, plural, strs, _fuzzy in _entries_with_context(locale):
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
@pytest.mark.parametrize("app_dir", _app_dirs(), ids=lambda p: p.name)
def test_catalogue_holds_every_string_marked_in_the_source(app_dir, tmp_path):
    """A string marked for translation but missing from its app's catalogue shows Japanese in the English
    interface: extract the app's sources afresh (into a copy, leaving the real catalogue alone) and compare."""
    copy = tmp_path / app_dir.name
    shutil.copytree(app_dir, copy, ignore=shutil.ignore_patterns("static", "*.mo", "__pycache__", "tests"))
    (copy / "locale").mkdir(exist_ok=True)
    subprocess.run(
        # -P: the app folder must not shadow the standard library (kiban/realtime/socket.py).
        [sys.executable, "-P", "-m", "django", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kiban.settings"},
    )
    fresh_file = copy / "locale" / "en" / "LC_MESSAGES" / "django.po"
    if not fresh_file.exists():
        return  # nothing marked for translation in this app
    catalogue = app_dir / "locale" / "en" / "LC_MESSAGES"
    assert catalogue.is_dir(), f"{app_dir.name} marks strings for translation but has no locale/en catalogue"
    known = {msgid for msgid, _plural, _strs, _fuzzy in _entries(catalogue)}
    missing = []
    for chunk in fresh_file.read_text(encoding="utf-8").split("\n\n"):
        found = re.search(r'^msgid ((?:".*"\n)+)', chunk.strip() + "\n", re.M)
        if found and (msgid := _joined(found.group(1))) and msgid not in known:
            missing.append(msgid)
    assert missing == []
