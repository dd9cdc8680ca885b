"""One schema per staff object: me, a person and a department's members are `kiban.org.schemas.StaffOut`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kiban.core.schemas import dump
from kiban.org import queries
from kiban.org.schemas import StaffOut, staff_out

pytestmark = pytest.mark.django_db


def test_api_staff_is_the_schema_dump(client, clerk, section_head, org_tree):
    client.force_login(section_head)
    expected = dump(staff_out(queries.attach_posts([clerk])[0]))
    assert expected["departments"], "the clerk's section is part of the object"
    assert client.get(f"/api/v1/staff/{clerk.username}").json() == expected
    members = client.get(f"/api/v1/departments/{expected['departments'][0]['id']}").json()["members"]
    assert [m["staff"] for m in members if m["staff"]["username"] == clerk.username] == [expected]
    client.force_login(clerk)
    assert client.get("/api/v1/me").json() == expected


def test_staff_schema_refuses_a_field_it_does_not_declare(clerk):
    fields = dict(staff_out(queries.attach_posts([clerk])[0]))
    with pytest.raises(ValidationError, match="extra"):
        StaffOut(**fields, password=clerk.password)


def test_a_search_hit_is_the_staff_object_not_a_second_definition(client, clerk, section_head):
    """`StaffHit` reads exactly the staff object's columns (derived from `StaffOut`), so a search result and
    `GET /api/v1/staff/{username}` are the same object."""
    from dataclasses import fields

    from kiban.org.schemas import STAFF_COLUMNS
    from kiban.org.search import StaffHit, load_hits

    assert set(STAFF_COLUMNS) == set(StaffOut.model_fields) - {"departments"}
    assert {f.name for f in fields(StaffHit)} == {"id", *STAFF_COLUMNS, "is_active", "posts"}
    [hit] = load_hits([clerk.pk])
    assert dump(staff_out(hit)) == dump(staff_out(queries.attach_posts([clerk])[0]))
    client.force_login(section_head)
    found = client.get("/api/v1/staff", {"q": clerk.family_name}).json()["results"]
    assert dump(staff_out(hit)) in found
