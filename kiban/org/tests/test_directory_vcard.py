"""vCard export: parsed back, the Japanese and every field survive; escaping and folding are correct."""

from __future__ import annotations

import pytest

from kiban.accounts.models import Staff
from kiban.org.tests.factories import MembershipFactory
from kiban.org.vcard import escape, fold

pytestmark = pytest.mark.django_db


def parse_vcards(data: bytes) -> list[list[tuple[str, dict[str, str], list[str]]]]:
    """A small RFC 2426 reader: unfold, split name;params:value, split components on unescaped ';'."""
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "lines must end in CRLF"
    cards: list = []
    for line in text.replace("\r\n ", "").split("\r\n"):
        if not line:
            continue
        head, _, value = line.partition(":")
        name, *raw_params = head.split(";")
        params = dict(p.split("=", 1) for p in raw_params)
        components, current, i = [], "", 0
        while i < len(value):
            ch = value[i]
            if ch == "\\" and i + 1 < len(value):
                nxt = value[i + 1]
                current += "\n" if nxt in "nN" else nxt
                i += 2
                continue
            if ch == ";":
                components.append(current)
                current = ""
            else:
                current += ch
            i += 1
        components.append(current)
        if name == "BEGIN":
            cards.append([])
        cards[-1].append((name, params, components))
    return cards


def field(card, name: str) -> tuple[dict[str, str], list[str]]:
    matches = [(p, v) for n, p, v in card if n == name]
    assert len(matches) == 1, name
    return matches[0]


def test_staff_vcard_has_every_field_with_japanese_intact(client, clerk, section_head, org_tree):
    Staff.objects.filter(pk=section_head.pk).update(
        mobile="090-1234-5678", email="takahashi@pref.example.lg.jp"
    )
    client.force_login(clerk)
    response = client.get("/api/v1/staff/100001.vcf")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="100001.vcf"'
    [card] = parse_vcards(response.content)
    assert card[0] == ("BEGIN", {}, ["VCARD"])
    assert field(card, "VERSION")[1] == ["3.0"]
    assert field(card, "N")[1] == ["髙橋", "一郎", "", "", ""]
    assert field(card, "FN")[1] == ["髙橋 一郎"]
    assert field(card, "SORT-STRING")[1] == ["タカハシ イチロウ"]
    assert field(card, "X-PHONETIC-LAST-NAME")[1] == ["タカハシ"]
    assert field(card, "X-PHONETIC-FIRST-NAME")[1] == ["イチロウ"]
    assert field(card, "ORG")[1] == ["総務部", "人事課"]
    assert field(card, "TITLE")[1] == ["課長"]
    tels = [(p["TYPE"], v) for n, p, v in card if n == "TEL"]
    assert tels == [("WORK,VOICE", ["2101"]), ("CELL,VOICE", ["090-1234-5678"])]
    assert field(card, "EMAIL") == ({"TYPE": "INTERNET,WORK"}, ["takahashi@pref.example.lg.jp"])
    assert card[-1] == ("END", {}, ["VCARD"])


def test_department_vcard_holds_every_member(client, clerk, section_head, org_tree):
    client.force_login(clerk)
    response = client.get(f"/api/v1/departments/{org_tree['jinji'].pk}.vcf")
    assert response.status_code == 200
    cards = parse_vcards(response.content)
    assert [field(c, "FN")[1] for c in cards] == [["髙橋 一郎"], ["佐藤 花子"]]  # head first


def test_special_characters_are_escaped_and_come_back(client, clerk, org_tree):
    MembershipFactory(staff=clerk, department=org_tree["joho"], title="x", is_primary=False)
    Staff.objects.filter(pk=clerk.pk).update(title="主事; 係長代理, 兼\\務")
    clerk.memberships.filter(is_primary=True).update(title="")
    client.force_login(clerk)
    [card] = parse_vcards(client.get("/api/v1/staff/100002.vcf").content)
    assert field(card, "TITLE")[1] == ["主事; 係長代理, 兼\\務"]


def test_escape_covers_backslash_comma_semicolon_newline():
    assert escape("a\\b,c;d\ne") == "a\\\\b\\,c\\;d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "NOTE:" + "漢字" * 40
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert "".join(parts) == line


def test_vcard_of_unknown_or_anonymous(client, clerk):
    assert client.get("/api/v1/staff/100002.vcf").status_code == 401
    client.force_login(clerk)
    assert client.get("/api/v1/staff/nobody.vcf").status_code == 404
