from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import StaffFactory


@pytest.fixture
def people(db):
    """Three people: two who receive events (ann, ben) and one who must not (cho)."""
    return {
        "ann": StaffFactory(username="700001"),
        "ben": StaffFactory(username="700002"),
        "cho": StaffFactory(username="700003"),
    }
