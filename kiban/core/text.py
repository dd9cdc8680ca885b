"""Japanese text normalisation shared by every search: one normaliser, versioned.

Folds what a searcher should not have to care about: full/half width (NFKC), upper/lower case,
katakana/hiragana, and variant kanji in names (髙/高, 﨑/崎, 齋/斎/斉, 邊/邉/辺 …).
Change NORMALIZER_VERSION whenever the output changes, and rebuild the indexes that store it.
"""

from __future__ import annotations

import re
import unicodedata

NORMALIZER_VERSION = 1

# Variant (異体字) → common form, for names. Kept small and explicit: each entry is a character people
# type one way and HR registers another.
_VARIANTS = {
    "髙": "高", "﨑": "崎", "嵜": "崎", "碕": "崎", "齋": "斉", "齊": "斉", "斎": "斉",
    "邊": "辺", "邉": "辺", "澤": "沢", "濵": "浜", "濱": "浜", "廣": "広", "國": "国",
    "櫻": "桜", "藏": "蔵", "德": "徳", "惠": "恵", "眞": "真", "實": "実", "壽": "寿",
    "龍": "竜", "瀧": "滝", "冨": "富", "淵": "渕", "嶋": "島", "嶌": "島", "槇": "槙",
    "桒": "桑", "凜": "凛", "曻": "昇", "舘": "館", "萬": "万", "條": "条", "禮": "礼",
    "莊": "荘", "將": "将", "滿": "満", "靜": "静", "聰": "聡", "驒": "騨", "圓": "円",
    "關": "関", "鐵": "鉄", "縣": "県", "增": "増", "榮": "栄", "豐": "豊",
}  # fmt: skip
_VARIANT_TABLE = str.maketrans(_VARIANTS)

# Voiced marks typed on their own (゛ ゜, or ﾞ ﾟ after half-width kana) are turned into combining marks so
# that NFKC composes them: "ﾊｾｶﾞﾜ", "ハセカ゛ワ" and "はせがわ" all normalise to はせがわ.
_MARKS = str.maketrans({"゛": "\u3099", "゜": "\u309a"})
_KATA_START, _KATA_END = ord("ァ"), ord("ヶ")
_HIRA_OFFSET = ord("ぁ") - ord("ァ")


def katakana_to_hiragana(text: str) -> str:
    return "".join(chr(ord(ch) + _HIRA_OFFSET) if _KATA_START <= ord(ch) <= _KATA_END else ch for ch in text)


def hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) - _HIRA_OFFSET) if ord("ぁ") <= ord(ch) <= ord("ゖ") else ch for ch in text)


def normalize(text: str) -> str:
    """NFKC (half-width kana → full, full-width ASCII → ASCII, voiced marks composed), lower case,
    katakana → hiragana, variant kanji → common form. Spaces are kept (collapsed)."""
    text = unicodedata.normalize("NFKC", (text or "").translate(_MARKS)).lower()
    text = katakana_to_hiragana(text).translate(_VARIANT_TABLE)
    return " ".join(text.split())


def normalize_for_search(text: str) -> str:
    return normalize(text)


def normalize_query(text: str) -> str:
    """A query as typed, normalised the same way; spaces inside separate terms."""
    return normalize(text)


def to_katakana_reading(text: str) -> str:
    """A reading as HR systems store it: full-width katakana (ﾔﾏﾀﾞ and やまだ both become ヤマダ)."""
    return hiragana_to_katakana(unicodedata.normalize("NFKC", text or "")).strip()


def reading_sort_key(family_kana: str, given_kana: str, fallback: str = "") -> str:
    """五十音 order: hiragana of the reading; people without a reading sort after everyone with one."""
    reading = normalize(f"{family_kana} {given_kana}").replace(" ", "\u3000")
    return reading if reading.strip() else "\uffff" + fallback


def bigrams(text: str) -> list[str]:
    """Overlapping two-character grams of a normalised string, per space-separated word."""
    grams: list[str] = []
    for word in text.split():
        if len(word) == 1:
            grams.append(word)
        grams.extend(word[i : i + 2] for i in range(len(word) - 1))
    return grams


# --- Romaji ------------------------------------------------------------------------------------------------
# People write the same name in several romanisations: Hepburn (Satō, Takahashi, Ōno), passport Hepburn
# (Sato, Ohno), Kunrei as typed on a keyboard (Satou, Takahasi, Oono). `canonical_romaji` maps all of them to
# one form, applied both to the stored romaji (in `search_text`) and to a query, so any spelling finds anyone.
# The form is Kunrei-like (si, ti, tu, hu, zi, sya …), n before b/m/p, and a long vowel folded to one vowel
# before a consonant or at the end of a word (ou, oo, oh, uu → o, u), as passport Hepburn folds it; a vowel
# that begins the next syllable is kept (Inoue stays inoue).
_ROMAJI_RULES = [
    (re.compile(r"[\'’\-]"), ""),
    (re.compile(r"shi"), "si"),
    (re.compile(r"sh"), "sy"),
    (re.compile(r"chi"), "ti"),
    (re.compile(r"c?ch"), lambda m: "tty" if m.group(0) == "cch" else "ty"),
    (re.compile(r"tsu"), "tu"),
    (re.compile(r"fu"), "hu"),
    (re.compile(r"ji"), "zi"),
    (re.compile(r"j"), "zy"),
    (re.compile(r"m(?=[bmp])"), "n"),
    (re.compile(r"(?<=o)h(?![aiueoy])"), ""),
    (re.compile(r"(?<=o)[ou](?![aiueo])|(?<=u)u(?![aiueo])"), ""),
]
_ROMAJI_WORD = re.compile(r"[a-z'’\-]+")


def canonical_romaji(text: str) -> str:
    """`Satō`, `Satou`, `Satoh`, `SATO` → `sato`; `Takahashi`/`takahasi` → `takahasi`; `Ohno`/`Oono`/`Ōno` →
    `ono`. Words stay separated by single spaces; a word that is not romaji is left as it was (lower case)."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(ch)
    ).lower()
    words = []
    for word in plain.split():
        if _ROMAJI_WORD.fullmatch(word):
            for pattern, replacement in _ROMAJI_RULES:
                word = pattern.sub(replacement, word)
        words.append(word)
    return " ".join(words)


def is_romaji_word(text: str) -> bool:
    """A query term made only of Latin letters (macrons and apostrophes allowed): a romanised name."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return bool(_ROMAJI_WORD.fullmatch(plain.lower())) and any(ch.isalpha() for ch in plain)
