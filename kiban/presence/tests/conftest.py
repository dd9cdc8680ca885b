from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def api_as():
    """`api_as(person)` → a client signed in as that person (session; the test client does not enforce CSRF)."""

    def make(person) -> Client:
        client = Client()
        client.force_login(person)
        return client

    return make
