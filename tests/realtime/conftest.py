from __future__ import annotations

import pytest

from tests.browser.conftest import browser  # noqa: F401  (the shared chromium fixture)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/realtime/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
