"""The labels each module declares in its `<app>/labels.py` (`AUDIT_LABELS`, `JOB_LABELS`), gathered once.

By convention, like `<app>/jobs.py` and `<app>/events.py`: adding a module or an audit code touches no central
list. This module is part of `core` and imports no domain app by name: it asks the app registry which apps are
installed and imports their `labels` module if there is one.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util

from django.apps import apps


@functools.cache
def gathered(attribute: str) -> dict:
    """`attribute` of every installed Kiban app's `labels` module, merged. A key declared by two apps is a
    mistake (one of them would be silently hidden), so it fails loudly."""
    merged: dict = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("kiban."):
            continue
        name = f"{config.name}.labels"
        if importlib.util.find_spec(name) is None:
            continue
        declared = getattr(importlib.import_module(name), attribute, {})
        clash = merged.keys() & declared.keys()
        if clash:
            raise ValueError(f"{name}.{attribute} repeats labels declared elsewhere: {sorted(clash)}")
        merged.update(declared)
    return merged
