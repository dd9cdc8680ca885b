"""Icons are the shell's inline SVG set, never emoji: a closed-network PC without an emoji font shows emoji as
empty boxes. Reactions stay emoji (they are what people chose to say, not icons)."""

from __future__ import annotations

import re
from pathlib import Path

import kiban

ROOT = Path(kiban.__file__).parent
# Emoji, pictographic dingbats and enclosed letters (🔍 📎 📌 🗑 ✎ ✕ ✚ ☺ ⓘ …), and the emoji variation selector.
# Arrows (← ↑) are ordinary text in every Japanese font and stay allowed.
PICTOGRAPH = re.compile(
    "[\U0001f000-\U0001faff\u2460-\u24ff\u2600-\u27bf\u2b00-\u2bff\u231a\u231b\u23e9-\u23fa\ufe0f]"
)
# The reaction palette: the emoji a person reacts with are content.
ALLOWED = {("static/kiban/chat/render.js", "export const COMMON_EMOJI = [")}


def _front_end_files() -> list[Path]:
    templates = list(ROOT.glob("*/templates/**/*.html"))
    scripts = list((ROOT / "static" / "kiban").rglob("*.js"))
    return sorted(templates + scripts)


def test_templates_and_scripts_use_no_emoji_as_icons():
    files = _front_end_files()
    assert len(files) > 30  # the scan really sees the front end
    found = []
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(rel == name and line.lstrip().startswith(start) for name, start in ALLOWED):
                continue
            found += [f"{rel}:{number}: {char!r}" for char in PICTOGRAPH.findall(line)]
    assert found == []


def test_every_icon_used_exists_in_the_icon_set():
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', (ROOT / "static/kiban/icons.svg").read_text()))
    used = set()
    for path in _front_end_files():
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"icons\.svg' %\}#([\w-]+)\"", text))
        used |= set(re.findall(r'\bicon\("([\w-]+)"\)', text))
    assert {"search", "plus", "paperclip", "file", "x", "smile", "pin", "trash", "info"} <= used
    assert used - symbols == set()
