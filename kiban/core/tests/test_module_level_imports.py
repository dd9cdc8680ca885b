"""Imports of Kiban code sit at module level, where a reader (and import-linter) sees a module's dependencies.

A function-level import of a `kiban` module is allowed only where a real constraint forbids the module level,
and each such place is listed below with its reason. The test walks the sources (not tests, not migrations):
a new function-level import fails it, and so does an entry here that no longer exists (keep the list true).
"""

from __future__ import annotations

import ast
from pathlib import Path

import kiban

ROOT = Path(kiban.__file__).parent

APP_READY = "AppConfig.ready: the app registry loads apps.py before any model can be imported"

# (file relative to kiban/, function, imported module) → why it cannot be at module level.
ALLOWED: dict[tuple[str, str, str], str] = {
    (
        "bulletin/actions.py",
        "_schedule_publication",
        "kiban.bulletin.jobs",
    ): "cycle: the jobs call the actions",
    (
        "chat/apps.py",
        "ready",
        "kiban.realtime",
    ): "AppConfig.ready: registers chat's audience once apps are loaded",
    (
        "realtime/delivery.py",
        "_event_of",
        "kiban.realtime.catalogue",
    ): "cycle: the catalogue imports every app's events",
    ("realtime/hub.py", "_fan_out", "kiban.realtime.delivery"): "cycle: delivery hands frames to the hub",
    ("realtime/jobs.py", "fan_out_events", "kiban.realtime.delivery"): "cycle: delivery enqueues this job",
    (
        "realtime/jobs.py",
        "resume_fan_out",
        "kiban.realtime.delivery",
    ): "cycle: delivery enqueues fan_out_events",
    ("realtime/queries.py", "_settle_late", "kiban.realtime.delivery"): "cycle: delivery → jobs → queries",
    ("core/apps.py", "ready", "kiban.core"): APP_READY,
    ("org/apps.py", "ready", "kiban.org"): APP_READY,
    ("chat/apps.py", "ready", "kiban.chat"): APP_READY,
    ("realtime/apps.py", "ready", "kiban.accounts"): APP_READY,
    ("realtime/apps.py", "ready", "kiban.realtime.hub"): APP_READY,
    ("realtime/apps.py", "ready", "kiban.org"): APP_READY,
    ("realtime/apps.py", "ready", "kiban.realtime.listeners"): APP_READY,
    ("meetings/apps.py", "ready", "kiban.calendar"): APP_READY,
    ("meetings/apps.py", "ready", "kiban.meetings.rooms"): APP_READY,
    ("core/adminsite.py", "log_actions", "kiban.core.audit"): (
        "INSTALLED_APPS names this module (the admin's AppConfig), so it loads before models; audit imports them"
    ),
    ("realtime/__init__.py", "publish", "kiban.realtime.delivery"): (
        "the package is imported while apps load; delivery imports the realtime models"
    ),
    ("meetings/events.py", "handle", "kiban.meetings"): (
        "a cycle: signalling builds these event types, and the event's handler calls signalling"
    ),
}


class _Finder(ast.NodeVisitor):
    """Each import of a `kiban` module inside a function, named by its innermost function."""

    def __init__(self, relative: str) -> None:
        self.relative = relative
        self.functions: list[str] = []
        self.found: set[tuple[str, str, str]] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _add(self, modules: list[str]) -> None:
        for module in modules:
            if self.functions and (module == "kiban" or module.startswith("kiban.")):
                self.found.add((self.relative, self.functions[-1], module))

    def visit_Import(self, node: ast.Import) -> None:
        self._add([alias.name for alias in node.names])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._add([node.module])


def function_level_kiban_imports() -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        finder = _Finder(relative.as_posix())
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found |= finder.found
    return found


def test_kiban_imports_are_at_module_level_unless_a_listed_reason_forbids_it():
    found = function_level_kiban_imports()
    unexplained = sorted(found - ALLOWED.keys())
    assert unexplained == [], "move these imports to module level (or list the cycle that forbids it)"


def test_the_allow_list_names_only_imports_that_still_exist():
    assert sorted(ALLOWED.keys() - function_level_kiban_imports()) == []


def test_the_walk_finds_a_function_level_import(tmp_path, monkeypatch):
    (tmp_path / "sample.py").write_text("def f():\n    from kiban.core import audit\n    return audit\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert function_level_kiban_imports() == {("sample.py", "f", "kiban.core")}
