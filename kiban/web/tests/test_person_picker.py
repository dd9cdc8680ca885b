"""Every form that chooses people uses the one person picker (kiban/static/kiban/people.js): the field is
marked for it and keeps carrying usernames, so the server's contract does not change."""

from __future__ import annotations

import re

import pytest

from kiban.booking.tests.factories import CarFactory, FleetManagerFactory

pytestmark = pytest.mark.django_db


def _pickers(html: str) -> dict[str, str]:
    inputs = re.findall(r"<input[^>]*data-person-picker=\"(one|many)\"[^>]*>", html)
    names = re.findall(r"<input[^>]*data-person-picker=\"(?:one|many)\"[^>]*>", html)
    return {re.search(r'name="(\w+)"', tag).group(1): kind for tag, kind in zip(names, inputs, strict=True)}


def test_person_fields_are_pickers_everywhere(client, clerk):
    client.force_login(clerk)
    FleetManagerFactory(staff=clerk, department=None)
    car = CarFactory(name="公用車1号")
    assert _pickers(client.get(f"/booking/resources/{car.pk}/new").content.decode()) == {
        "driver": "one",
        "passengers": "many",
    }
    assert _pickers(client.get("/booking/fleet").content.decode()) == {"driver": "one"}
    assert _pickers(client.get("/booking/fleet/licences").content.decode()) == {"username": "one"}
    assert _pickers(client.get("/chat/search/").content.decode()) == {"person": "one"}
    page = client.get("/").content.decode()
    assert "kiban/people.js" in page
    assert 'id="person-picker-strings"' in page
