"""Demo data of this module for 架空県 (called by kiban.org.demo.load_demo after the organisation exists)."""

from __future__ import annotations

from collections.abc import Callable


def load_demo(say: Callable[[str], None]) -> dict:
    return {}
