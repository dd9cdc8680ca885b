"""Every audit action code written anywhere in Kiban has words on the audit log page."""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

from kiban.core.audit_labels import action_label, labels

ROOT = Path(__file__).resolve().parents[2]  # kiban/


def _values(node) -> set[str]:
    """The strings an expression can be: constants, both sides of `a if c else b`, `a + b`; any other part
    (a variable, an f-string field) is `*`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body) | _values(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return {a + b for a in _values(node.left) for b in _values(node.right)}
    if isinstance(node, ast.JoinedStr):
        out = {""}
        for part in node.values:
            out = {a + b for a in out for b in (_values(part) if isinstance(part, ast.Constant) else {"*"})}
        return out
    return {"*"}


def _codes_in_sources() -> set[str]:
    codes = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in ("record", "record_many"):
                    codes |= _values(node.args[0])
    return codes


def test_the_source_scan_finds_the_audit_codes():
    codes = _codes_in_sources()
    assert {
        "auth.login",
        "booking.*",
        "admin.*.*",
        "meetings.guest_admit",
        "chat.conversation.unarchive",
        "org.membership.add",
    } <= codes


@pytest.mark.parametrize("code", sorted(_codes_in_sources()))
def test_every_audit_code_in_the_codebase_has_a_label(code):
    if code == "admin.*.*":  # Django-admin changes: labelled from the model's name
        assert action_label("admin.accounts.staff.change") == "管理画面: 職員の変更"
        return
    if "*" in code:
        assert fnmatch.filter(labels(), code), f"no label matches {code}"
        return
    assert code in labels(), f"audit code {code} has no label in its app's labels.py (AUDIT_LABELS)"


def test_an_unknown_code_is_shown_as_it_is():
    assert action_label("legacy.thing") == "legacy.thing"


def test_labels_are_declared_by_each_app_not_in_a_central_list():
    from kiban.org import labels as org_labels

    assert str(org_labels.AUDIT_LABELS["org.membership.add"]) == "所属への配属"
    assert action_label("org.membership.add") == "所属への配属"
    assert not hasattr(__import__("kiban.core.audit_labels", fromlist=["x"]), "LABELS")
