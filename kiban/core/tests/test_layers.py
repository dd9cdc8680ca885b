"""The layers of docs/ARCHITECTURE.md are checked, not hoped for: import-linter's contracts in pyproject.toml
(core is a leaf, apps depend downward only, settings import no application code, domain code never imports the
API or the views). Function-level imports count too: hiding an import in a function does not hide the
dependency."""

from __future__ import annotations

import tomllib

from django.conf import settings
from importlinter.cli import lint_imports

from kiban.core import modules


def _contracts() -> list[dict]:
    with open(settings.BASE_DIR.parent / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]["contracts"]


def test_import_contracts_are_kept():
    assert lint_imports(no_cache=True) == 0  # the report says which import broke which contract


def test_every_module_has_its_place_in_the_layers():
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    assert {module.name for module in modules.modules()} <= placed
