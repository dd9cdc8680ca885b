from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kiban.accounts.models import SecurityPolicy, Staff
from kiban.core.audit import prune_expired_entries, record
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_purge_permit():
    """Production conditions: the test database's purge permit (conftest.py) is withdrawn for this test;
    the test's transaction puts it back when it rolls back."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_audit_purge_permit")


def test_orm_update_of_an_audit_entry_is_refused_by_the_database(no_purge_permit):
    entry = record("auth.login", actor_username="100002", ip="192.0.2.1")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="auth.logout")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.ip = "198.51.100.1"
        entry.save()
    entry.refresh_from_db()
    assert (entry.action, entry.ip) == ("auth.login", "192.0.2.1")


def test_orm_delete_of_an_audit_entry_is_refused_by_the_database(no_purge_permit):
    entry = record("auth.login", actor_username="100002")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_raw_sql_update_and_delete_are_refused(no_purge_permit):
    entry = record("auth.login", actor_username="100002")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET actor_username = 'someone-else' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry")
    entry.refresh_from_db()
    assert entry.actor_username == "100002"


def test_truncate_is_refused_on_postgresql(no_purge_permit):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE trigger is tested above")
    entry = record("auth.login", actor_username="100002")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_entries_older_than_the_retention_can_be_pruned_and_younger_ones_stay(no_purge_permit):
    record("auth.login", actor_username="old")
    record("auth.login", actor_username="young")
    # INSERT is never refused, so an entry dated beyond the retention can be made for the test.
    ancient = AuditEntry.objects.create(
        action="auth.login", actor_username="ancient", at=timezone.now() - dt.timedelta(days=400)
    )
    assert prune_expired_entries() == 1
    assert set(AuditEntry.objects.values_list("actor_username", flat=True)) == {"old", "young"}
    assert not AuditEntry.objects.filter(pk=ancient.pk).exists()


def test_admin_changes_are_audited_with_actor_and_address(it_admin, client):
    client.force_login(it_admin)
    response = client.post(
        "/admin/accounts/securitypolicy/add/",
        {
            "account_max_failures": "3",
            "account_window_minutes": "15",
            "address_max_failures": "40",
            "address_window_minutes": "10",
        },
        REMOTE_ADDR="192.0.2.90",
    )
    assert response.status_code == 302
    policy = SecurityPolicy.objects.get()
    entry = AuditEntry.objects.get(action="admin.accounts.securitypolicy.add")
    assert (entry.actor_id, entry.actor_username, entry.ip) == (it_admin.pk, "100009", "192.0.2.90")
    assert entry.target_id == str(policy.pk)


def test_admin_staff_change_and_delete_are_audited(it_admin, clerk, client):
    client.force_login(it_admin)
    response = client.post(
        "/admin/accounts/staff/add/",
        {
            "username": "300001",
            "usable_password": "true",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
        REMOTE_ADDR="192.0.2.91",
    )
    assert response.status_code == 302
    new = Staff.objects.get(username="300001")
    assert AuditEntry.objects.get(action="admin.accounts.staff.add").target_id == str(new.pk)
    response = client.post(
        f"/admin/accounts/staff/{new.pk}/delete/", {"post": "yes"}, REMOTE_ADDR="192.0.2.91"
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.accounts.staff.delete")
    assert (entry.actor_id, entry.ip, entry.target_repr) == (it_admin.pk, "192.0.2.91", "300001")
    assert entry.target_id == str(new.pk)


# --- Who wrote what: every sign-in action leaves an entry ------------------------------------------------


def test_audit_viewer_is_for_it_administrators_only(clerk, client):
    client.force_login(clerk)
    assert client.get("/manage/audit").status_code == 403
    client.logout()
    response = client.get("/manage/audit")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def _entry(action: str, username: str, ip: str, days_ago: int) -> AuditEntry:
    return AuditEntry.objects.create(
        action=action, actor_username=username, ip=ip, at=timezone.now() - dt.timedelta(days=days_ago)
    )


def _listed(response) -> list[str]:
    """The actions and people in the table rows, in page order."""
    html = response.content.decode()
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = body.split("<tr>")[1:]
    return [
        row.split('<code class="small muted">')[1].split("</code>")[0]
        + " "
        + row.split("data-username>")[1].split("</span>")[0]
        for row in rows
    ]


def test_audit_viewer_filters_by_person_action_address_and_dates_newest_first(it_admin, client):
    _entry("auth.login", "100002", "192.0.2.1", days_ago=3)
    _entry("auth.login_failed", "100002", "203.0.113.5", days_ago=2)
    _entry("auth.login", "500001", "192.0.2.1", days_ago=1)
    _entry("admin.accounts.staff.change", "100009", "192.0.2.9", days_ago=0)
    client.force_login(it_admin)

    everything = client.get("/manage/audit")
    assert everything.status_code == 200
    assert _listed(everything) == [
        "admin.accounts.staff.change 100009",
        "auth.login 500001",
        "auth.login_failed 100002",
        "auth.login 100002",
    ]
    assert _listed(client.get("/manage/audit", {"person": "100002"})) == [
        "auth.login_failed 100002",
        "auth.login 100002",
    ]
    assert _listed(client.get("/manage/audit", {"action": "auth.login"})) == [
        "auth.login 500001",
        "auth.login 100002",
    ]
    assert _listed(client.get("/manage/audit", {"action": "admin.*"})) == [
        "admin.accounts.staff.change 100009"
    ]
    assert _listed(client.get("/manage/audit", {"ip": "203.0.113.5"})) == ["auth.login_failed 100002"]
    today = timezone.localdate()
    between = client.get(
        "/manage/audit",
        {
            "date_from": (today - dt.timedelta(days=2)).isoformat(),
            "date_to": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert _listed(between) == ["auth.login 500001", "auth.login_failed 100002"]


def test_audit_viewer_pages_by_fifty(it_admin, client):
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                action="auth.login", actor_username=f"u{i:03}", at=timezone.now() - dt.timedelta(minutes=i)
            )
            for i in range(60)
        ]
    )
    client.force_login(it_admin)
    first = client.get("/manage/audit")
    assert len(_listed(first)) == 50
    assert _listed(first)[0] == "auth.login u000"
    second = client.get("/manage/audit", {"page": 2})
    assert len(_listed(second)) == 10
    assert _listed(second)[-1] == "auth.login u059"


def test_audit_admin_is_read_only_for_it_administrators(it_admin, clerk, client):
    entry = record("auth.login", actor_username="100002")
    client.force_login(it_admin)
    assert client.get("/admin/core/auditentry/").status_code == 200
    assert client.get(f"/admin/core/auditentry/{entry.pk}/change/").status_code == 200  # view only
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"action": "auth.logout"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.action == "auth.login"

    client.force_login(clerk)
    response = client.get("/admin/core/auditentry/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_writes_audit_entries(clerk):
    record("auth.login", actor=clerk)
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_test_database_is_flushed_between_transactional_tests_despite_the_trigger():
    # The flush after the previous test (DELETE on SQLite) succeeded thanks to the test-only permit.
    assert AuditEntry.objects.count() == 0


def test_audit_viewer_shows_actions_in_words_people_by_name_and_times_in_local_wareki(
    it_admin, clerk, client
):
    from kiban.booking.tests.factories import BookingFactory

    booking = BookingFactory(
        booked_by=clerk,
        start=dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC),  # 18:00 in Tokyo
        end=dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC),
    )
    entry = record("booking.cancel", actor=clerk, target=booking, occurrence="2026-11-25T00:00:00+00:00")
    record("auth.login", actor=it_admin)
    client.force_login(it_admin)
    html = client.get("/manage/audit").content.decode()
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    cancel = next(r for r in rows if "booking.cancel" in r)
    assert "予約の取り消し" in cancel
    assert '佐藤 花子 <span class="small muted" data-username>100002</span>' in cancel
    assert f"{booking.resource.name} 2026-11-26 18:00" in cancel  # the target's time in local time
    assert "occurrence=令和8年11月25日 09:00" in cancel
    local = timezone.localtime(entry.at)
    assert f"<td>令和{local.year - 2018}年{local.month}月{local.day}日 {local:%H:%M:%S}</td>" in cancel
    login = next(r for r in rows if "auth.login" in r)
    assert "サインイン" in login and "齋藤 誠" in login
    # The filter offers the actions by name.
    assert '<option value="auth.login">サインイン</option>' in html
