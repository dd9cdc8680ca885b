"""Concurrent pushes of one system never mix their lists; the administrator's page shows a token once."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kiban.accounts.tests.factories import StaffFactory
from kiban.accounts.tokens import hash_token
from kiban.core.testing import run_at_once as _run_at_once
from kiban.integrations import actions
from kiban.integrations.models import ApprovalCount, ExternalSystem

PUSHERS = 6
PEOPLE = 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_pushes_of_one_system_leave_exactly_one_whole_list(it_admin):
    people = [StaffFactory(username=f"7{i:05d}") for i in range(PEOPLE)]
    system, token = actions.do_register_system(it_admin, name="bunsho", label="文書管理システム")
    # Pusher k sends every person the count k+1: a mix of two lists would show two different numbers.
    bodies = [
        json.dumps(
            {"system": "bunsho", "counts": [{"username": p.username, "pending": k + 1} for p in people]}
        )
        for k in range(PUSHERS)
    ]
    statuses: list[int] = []

    def pusher(body):
        def go():
            response = Client().put(
                "/api/v1/integrations/approval-counts", body, content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
            statuses.append(response.status_code)

        return go

    errors = _run_at_once([pusher(b) for b in bodies])
    assert errors == []
    # A push that met a busy SQLite answers 503 (Retry-After) and changed nothing; at least one got through.
    assert set(statuses) <= {200, 503} and 200 in statuses
    values = set(ApprovalCount.objects.filter(system=system).values_list("pending", flat=True))
    assert len(values) == 1
    assert ApprovalCount.objects.filter(system=system).count() == PEOPLE


@pytest.fixture
def admin_client(client, it_admin):
    client.force_login(it_admin)
    return client


def test_page_registers_a_system_and_shows_its_token_once(admin_client):
    response = admin_client.post(
        "/manage/integrations/",
        {
            "name": "shomu",
            "label": "庶務事務システム",
            "url": "https://shomu.example.lg.jp/",
            "scopes": ["approval_counts"],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    system = ExternalSystem.objects.get(name="shomu")
    token = html.split('class="token-value">')[1].split("<")[0]
    assert token.startswith("kbi_") and system.token_hash == hash_token(token)
    again = admin_client.get("/manage/integrations/").content.decode()
    assert "庶務事務システム" in again and token not in again and system.token_prefix in again


def test_page_refuses_a_bad_name_and_a_taken_one_and_saves_nothing_more(admin_client):
    bad = admin_client.post("/manage/integrations/", {"name": "Bad Name!", "label": "x"})
    assert bad.status_code == 400 and "token-value" not in bad.content.decode()
    admin_client.post("/manage/integrations/", {"name": "zaimu", "label": "財務会計システム"})
    taken = admin_client.post("/manage/integrations/", {"name": "zaimu", "label": "二つ目"})
    assert taken.status_code == 409
    assert list(ExternalSystem.objects.values_list("label", flat=True)) == ["財務会計システム"]


def test_page_rotates_disables_and_deletes(admin_client, it_admin):
    system, token = actions.do_register_system(it_admin, name="bunsho", label="文書管理システム")
    rotated = admin_client.post(f"/manage/integrations/{system.pk}/token")
    new = rotated.content.decode().split('class="token-value">')[1].split("<")[0]
    assert new != token
    system.refresh_from_db()
    assert system.token_hash == hash_token(new)
    admin_client.post(f"/manage/integrations/{system.pk}/enabled")
    system.refresh_from_db()
    assert system.enabled is False
    assert admin_client.get(f"/manage/integrations/{system.pk}/enabled").status_code == 405
    admin_client.post(f"/manage/integrations/{system.pk}/delete")
    assert not ExternalSystem.objects.exists()


def test_the_manage_menu_links_the_page_for_administrators_only(client, admin_client, clerk):
    assert "/manage/integrations/" in admin_client.get("/manage/").content.decode()
    client.force_login(clerk)
    assert client.get("/manage/integrations/").status_code == 404
    assert client.post("/manage/integrations/", {"name": "x", "label": "y"}).status_code == 404
    assert not ExternalSystem.objects.exists()


def test_demo_loads_three_systems_with_counts(it_admin, clerk, section_head, other_clerk):
    from kiban.integrations.demo import load_demo

    said = []
    result = load_demo(said.append)
    assert sorted(ExternalSystem.objects.values_list("label", flat=True)) == sorted(
        ["文書管理システム", "財務会計システム", "庶務事務システム"]
    )
    assert result["systems"] == 3 and result["approval_counts"] == ApprovalCount.objects.count()
    assert load_demo(said.append) == {}
