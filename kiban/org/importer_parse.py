"""HR CSV files (CONTRACT.md "HR CSV files"): decoding, the header, and each row on its own.

This module only reads the file. Checks that need other rows or the database (unknown department, duplicate
primary, cycles) are in `kiban.org.importer`. Every problem becomes a `RowError` naming file, line and field,
and parsing goes on so that one run reports every bad row.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from kiban.core.text import to_katakana_reading

DEPARTMENTS = "departments"
STAFF = "staff"

# field → Japanese header. English headers are the field names themselves.
DEPARTMENT_COLUMNS = {
    "code": "所属コード",
    "name": "所属名",
    "parent_code": "上位所属コード",
    "order": "表示順",
}
STAFF_COLUMNS = {
    "username": "職員番号",
    "family_name": "氏",
    "given_name": "名",
    "family_name_kana": "氏カナ",
    "given_name_kana": "名カナ",
    "romaji": "ローマ字",
    "email": "メール",
    "extension": "内線",
    "mobile": "携帯",
    "department_code": "所属コード",
    "title": "役職",
    "primary": "本務",
    "head": "所属長",
}
DEPARTMENT_REQUIRED = ("code", "name")
STAFF_REQUIRED = (
    "username", "family_name", "given_name", "family_name_kana", "given_name_kana", "email",
    "department_code", "title",
)  # fmt: skip
# Limits of the model fields, checked here so that a long value is a named error, not a database error.
MAX_LENGTHS = {
    "code": 32, "name": 128, "parent_code": 32, "username": 32, "family_name": 64, "given_name": 64,
    "family_name_kana": 64, "given_name_kana": 64, "romaji": 128, "email": 254, "extension": 32,
    "mobile": 32, "department_code": 32, "title": 64,
}  # fmt: skip
_USERNAME = re.compile(r"^[0-9A-Za-z_.@+-]+$")
_KANA = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fb ]+$")


@dataclass(frozen=True)
class RowError:
    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.message}"


class ImportFailed(Exception):  # noqa: N818 — it reads as "the import failed"
    """The file cannot be applied. `errors` lists every problem found; nothing was changed."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class DepartmentRow:
    line: int
    code: str
    name: str
    parent_code: str
    order: int | None


@dataclass
class StaffRow:
    line: int
    username: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    romaji: str
    email: str
    # None: the column is absent from the file, so the stored value is kept.
    extension: str | None
    mobile: str | None
    department_code: str
    title: str
    primary: bool
    head: bool


@dataclass
class ParsedFile:
    source: str
    kind: str
    rows: list = field(default_factory=list)
    # field → the header as written in the file, so errors use the user's own words.
    labels: dict[str, str] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def error(self, line: int, name: str, message: str) -> None:
        self.errors.append(RowError(self.source, line, self.label(name), message))

    def to_payload(self) -> dict:
        return {"kind": self.kind, "labels": self.labels, "rows": [asdict(row) for row in self.rows]}

    @classmethod
    def from_payload(cls, source: str, payload: dict) -> ParsedFile:
        row_class = DepartmentRow if payload["kind"] == DEPARTMENTS else StaffRow
        return cls(
            source=source,
            kind=payload["kind"],
            labels=payload.get("labels", {}),
            rows=[row_class(**row) for row in payload["rows"]],
        )


def decode(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) or Shift_JIS/CP932, as HR systems in Japan export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        failure = utf8_error
        # Valid multi-byte UTF-8 before the bad byte means a damaged UTF-8 file, not a Shift_JIS one:
        # a Shift_JIS file fails at its first Japanese character.
        if not data[: utf8_error.start].isascii():
            raise _decode_failure(data, source, failure) from None
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as cp932_error:
        raise _decode_failure(data, source, cp932_error) from None


def _decode_failure(data: bytes, source: str, error: UnicodeDecodeError) -> ImportFailed:
    line_start = data.rfind(b"\n", 0, error.start) + 1
    line = data.count(b"\n", 0, error.start) + 1
    column = data[line_start : error.start].count(b",")
    header = data.split(b"\n", 1)[0].decode(error.encoding, errors="replace").lstrip("\ufeff").split(",")
    name = header[column].strip() if column < len(header) and line > 1 else "-"
    message = _("文字コードを解釈できません(UTF-8 でも Shift_JIS でもないバイト 0x%(byte)s)") % {
        "byte": data[error.start : error.start + 1].hex()
    }
    return ImportFailed([RowError(source, line, name, message)])


def _header_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "_").replace("-", "_")


def _columns_for(headers: list[str]) -> tuple[str, dict[str, str]] | None:
    keys = {_header_key(h) for h in headers}
    if {"username", "職員番号"} & keys:
        return STAFF, STAFF_COLUMNS
    if {"code", "所属コード", "name", "所属名"} & keys:
        return DEPARTMENTS, DEPARTMENT_COLUMNS
    return None


def parse_csv(data: bytes, source: str) -> ParsedFile:
    """Decode and read every row. Raises ImportFailed for a file that cannot be read at all; row-level
    problems are collected in `ParsedFile.errors`."""
    text = decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFailed([RowError(source, 1, "-", _("ファイルが空です"))]) from None
    except csv.Error as exc:
        raise ImportFailed([RowError(source, 1, "-", str(exc))]) from None
    detected = _columns_for(headers)
    if detected is None:
        message = _("見出し行から種類(所属または職員)を判別できません")
        raise ImportFailed([RowError(source, 1, "-", message)])
    kind, columns = detected
    lookup = {}
    for name, japanese in columns.items():
        lookup[_header_key(name)] = name
        lookup[_header_key(japanese)] = name
    parsed = ParsedFile(source=source, kind=kind)
    positions: dict[str, int] = {}
    header_errors = []
    for index, header in enumerate(headers):
        name = lookup.get(_header_key(header))
        if name is None:
            header_errors.append(RowError(source, 1, header or "-", _("不明な列です")))
        elif name in positions:
            header_errors.append(RowError(source, 1, header, _("列が重複しています")))
        else:
            positions[name] = index
            parsed.labels[name] = header.strip()
    required = DEPARTMENT_REQUIRED if kind == DEPARTMENTS else STAFF_REQUIRED
    for name in required:
        if name not in positions:
            header_errors.append(RowError(source, 1, columns[name], _("必須の列がありません")))
    if header_errors:
        raise ImportFailed(header_errors)

    parse_row = _department_row if kind == DEPARTMENTS else _staff_row
    line = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) > len(headers):
                    parsed.error(line, "-", _("列が見出しより多くなっています(%(n)d 列)") % {"n": len(cells)})
                else:
                    values = {
                        name: cells[index].strip() if index < len(cells) else ""
                        for name, index in positions.items()
                    }
                    row = parse_row(parsed, line, values)
                    if row is not None:
                        parsed.rows.append(row)
            line = reader.line_num + 1
    except csv.Error as exc:
        parsed.error(line, "-", str(exc))
    return parsed


def _check_common(parsed: ParsedFile, line: int, values: dict[str, str], required: tuple[str, ...]) -> bool:
    ok = True
    for name in required:
        if not values.get(name):
            parsed.error(line, name, _("必須項目が空です"))
            ok = False
    for name, value in values.items():
        limit = MAX_LENGTHS.get(name)
        if limit and len(value) > limit:
            parsed.error(line, name, _("%(limit)d 文字以内にしてください") % {"limit": limit})
            ok = False
    return ok


def _department_row(parsed: ParsedFile, line: int, values: dict[str, str]) -> DepartmentRow | None:
    ok = _check_common(parsed, line, values, DEPARTMENT_REQUIRED)
    order: int | None = None
    raw_order = unicodedata.normalize("NFKC", values.get("order", ""))
    if raw_order:
        try:
            order = int(raw_order)
        except ValueError:
            parsed.error(line, "order", _("整数で入力してください"))
            ok = False
    if not ok:
        return None
    return DepartmentRow(
        line=line,
        code=unicodedata.normalize("NFKC", values["code"]),
        name=values["name"],
        parent_code=unicodedata.normalize("NFKC", values.get("parent_code", "")),
        order=order,
    )


def _flag(parsed: ParsedFile, line: int, values: dict[str, str], name: str, default: bool) -> bool | None:
    raw = unicodedata.normalize("NFKC", values.get(name, ""))
    if raw == "":
        return default
    if raw in {"1", "0"}:
        return raw == "1"
    parsed.error(line, name, _("1 または 0 で入力してください(%(value)s)") % {"value": raw})
    return None


def _staff_row(parsed: ParsedFile, line: int, values: dict[str, str]) -> StaffRow | None:
    ok = _check_common(parsed, line, values, STAFF_REQUIRED)
    username = unicodedata.normalize("NFKC", values["username"])
    if username and not _USERNAME.match(username):
        parsed.error(line, "username", _("英数字と _ . @ + - だけで入力してください"))
        ok = False
    kana = {}
    for name in ("family_name_kana", "given_name_kana"):
        kana[name] = to_katakana_reading(values[name])
        if kana[name] and not _KANA.match(kana[name]):
            parsed.error(line, name, _("カナで入力してください(%(value)s)") % {"value": values[name]})
            ok = False
    email = values["email"]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            parsed.error(
                line, "email", _("メールアドレスの形式が正しくありません(%(value)s)") % {"value": email}
            )
            ok = False
    primary = _flag(parsed, line, values, "primary", True)
    head = _flag(parsed, line, values, "head", False)
    if primary is None or head is None or not ok:
        return None
    romaji = values.get("romaji", "") or derive_romaji(kana["family_name_kana"], kana["given_name_kana"])
    return StaffRow(
        line=line,
        username=username,
        family_name=values["family_name"],
        given_name=values["given_name"],
        family_name_kana=kana["family_name_kana"],
        given_name_kana=kana["given_name_kana"],
        romaji=romaji,
        email=email,
        extension=values.get("extension"),
        mobile=values.get("mobile"),
        department_code=unicodedata.normalize("NFKC", values["department_code"]),
        title=values["title"],
        primary=primary,
        head=head,
    )


# --- Romaji -------------------------------------------------------------------------------------------------
# Passport-style Hepburn, as staff write their names in English: long vowels are not marked
# (サトウ → Sato, ユウコ → Yuko, オオノ → Ono), but a vowel that starts the next syllable is kept
# (イノウエ → Inoue), so ou/uu/oo are folded only before a consonant or at the end of the word.
_LONG_VOWELS = re.compile(r"(?<=o)[ou](?![aiueo])|(?<=u)u(?![aiueo])")


@lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


@lru_cache(maxsize=65536)
def kana_to_romaji(kana: str) -> str:
    """One word of katakana → capitalised passport Hepburn."""
    if not kana:
        return ""
    hepburn = "".join(item["hepburn"] for item in _kakasi().convert(kana))
    hepburn = _LONG_VOWELS.sub("", hepburn.replace("'", "").replace("-", "").lower())
    return hepburn[:1].upper() + hepburn[1:]


def derive_romaji(family_kana: str, given_kana: str) -> str:
    """`Family Given` as 職員録 shows it (e.g. "Sato Hanako")."""
    return " ".join(part for part in (kana_to_romaji(family_kana), kana_to_romaji(given_kana)) if part)
