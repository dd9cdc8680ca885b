"""The one rule for the name of a stored file (a folder's file, an inquiry's attachment)."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

NAME_MAX = 255


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def clean_name(name: str | None, field: str = "name") -> str:
    """A file or folder name, kept exactly as given (Japanese, spaces, dots) unless it could act as a
    path: separators, `.`/`..`, control characters and over-long names are refused."""
    name = name or ""
    if not name.strip():
        raise field_error(field, _("名前を入力してください。"))
    if len(name) > NAME_MAX:
        raise field_error(field, _("名前は%(max)d文字までです。") % {"max": NAME_MAX})
    if name in {".", ".."} or "/" in name or "\\" in name:
        raise field_error(field, _("名前に / や \\ は使えません。また . や .. は名前にできません。"))
    if any(_is_control(ch) for ch in name):
        raise field_error(field, _("名前に制御文字は使えません。"))
    return name


# Bidirectional overrides and isolates: 「報告書\u202etxt.exe」 would show as 「報告書exe.txt」.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    """Control characters, line and paragraph separators, surrogates, bidi overrides. Not spaces: the
    ideographic space (U+3000) is part of many Japanese file names."""
    return unicodedata.category(ch) in {"Cc", "Zl", "Zp", "Cs"} or ch in _BIDI_CONTROLS
