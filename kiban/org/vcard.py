"""vCard export of staff (RFC 2426, vCard 3.0).

3.0 rather than 4.0 because it is what the phones' own importers read best: iOS Contacts and Android's
contacts importer both read 3.0 fully, while Android's importer handles 4.0 only partly. Readings go in
`SORT-STRING` (3.0) and in `X-PHONETIC-LAST-NAME` / `X-PHONETIC-FIRST-NAME`, which iOS and Android use
for the phonetic (ふりがな) fields and hence for 五十音 order in the phone's contact list.
"""

from __future__ import annotations

from collections.abc import Iterable

from kiban.accounts.models import Staff
from kiban.org.models import Department

CONTENT_TYPE = "text/vcard; charset=utf-8"


def escape(value: str) -> str:
    """Escape a text value (RFC 2426 §4): backslash, comma, semicolon, newline."""
    return (
        (value or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 sequence (a split kanji would corrupt the name)."""
    out: list[str] = []
    current = ""
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with one space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += ch
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _org_chain(department: Department | None, departments: dict[int, Department]) -> list[str]:
    names: list[str] = []
    seen: set[int] = set()
    while department is not None and department.pk not in seen:
        seen.add(department.pk)
        names.append(department.name)
        department = departments.get(department.parent_id) if department.parent_id else None
    return list(reversed(names))


def staff_vcard(person: Staff, departments: dict[int, Department]) -> str:
    """One vCard. `person.posts` must be loaded (queries.attach_posts);
    `departments` maps id → department for the ORG hierarchy (see all_departments)."""
    memberships = person.posts
    primary = next((m for m in memberships if m.is_primary), memberships[0] if memberships else None)
    title = (primary.title if primary and primary.title else person.title) or ""
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{escape(person.family_name)};{escape(person.given_name)};;;",
        f"FN:{escape(person.full_name or person.username)}",
    ]
    reading = person.full_name_kana
    if reading:
        lines.append(f"SORT-STRING:{escape(reading)}")
    if person.family_name_kana:
        lines.append(f"X-PHONETIC-LAST-NAME:{escape(person.family_name_kana)}")
    if person.given_name_kana:
        lines.append(f"X-PHONETIC-FIRST-NAME:{escape(person.given_name_kana)}")
    if primary is not None:
        chain = _org_chain(departments.get(primary.department_id, primary.department), departments)
        lines.append("ORG:" + ";".join(escape(name) for name in chain))
    if title:
        lines.append(f"TITLE:{escape(title)}")
    if person.extension:
        lines.append(f"TEL;TYPE=WORK,VOICE:{escape(person.extension)}")
    if person.mobile:
        lines.append(f"TEL;TYPE=CELL,VOICE:{escape(person.mobile)}")
    if person.email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{escape(person.email)}")
    if person.romaji:
        lines.append(f"NICKNAME:{escape(person.romaji)}")
    lines.append(f"UID:urn:kiban:staff:{escape(person.username)}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


def all_departments() -> dict[int, Department]:
    return {d.pk: d for d in Department.objects.only("id", "name", "parent_id")}


def vcards(people: Iterable[Staff]) -> str:
    departments = all_departments()
    return "".join(staff_vcard(person, departments) for person in people)


def vcard_filename(stem: str) -> str:
    # ASCII-only file name for the header; the content carries the Japanese.
    safe = "".join(ch for ch in stem if ch.isascii() and (ch.isalnum() or ch in "-_")) or "contacts"
    return f"{safe}.vcf"
