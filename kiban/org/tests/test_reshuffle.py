"""Reshuffles (人事異動): stored ahead, applied by the worker on their date, cancellable by IT administrators."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.core.jobs import run_pending_jobs
from kiban.core.models import AuditEntry, OutgoingEmail
from kiban.org.models import Department, Membership, Reshuffle

HEADER = "username,family_name,given_name,family_name_kana,given_name_kana,email,department_code,title,primary,head"
MOVE_CLERK = HEADER + "\n100002,佐藤,花子,サトウ,ハナコ,100002@pref.example.lg.jp,500100,主任,1,0\n"


def travel_to(monkeypatch, moment: dt.datetime) -> None:
    """Move the clock (Django's `timezone.now`, which the queue and the reshuffle job both read)."""
    monkeypatch.setattr(timezone, "now", lambda: moment)


def tokyo(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_default_timezone())


def store(tmp_path, text: str, day: dt.date, name: str = "april.csv") -> Reshuffle:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    call_command(
        "import_staff", str(path), "--effective", day.isoformat(), stdout=StringIO(), stderr=StringIO()
    )
    return Reshuffle.objects.get(source_name=name)


def clerk_departments(clerk) -> list[tuple[str, str]]:
    return list(Membership.objects.filter(staff=clerk).values_list("department__code", "title"))


@pytest.mark.django_db(transaction=True)
def test_reshuffle_is_stored_and_applied_by_the_worker_on_its_date_not_before(tmp_path, monkeypatch, clerk):
    effective = timezone.localdate() + dt.timedelta(days=10)
    reshuffle = store(tmp_path, MOVE_CLERK, effective)

    assert reshuffle.status == Reshuffle.Status.PENDING
    assert "> 職員 100002 佐藤 花子: 所属 人事課(主事・本務) → 道路課(主任・本務)" in reshuffle.summary
    assert clerk_departments(clerk) == [("100100", "主事")]

    travel_to(monkeypatch, tokyo(effective - dt.timedelta(days=1), 23))
    run_pending_jobs()
    reshuffle.refresh_from_db()
    assert reshuffle.status == Reshuffle.Status.PENDING
    assert clerk_departments(clerk) == [("100100", "主事")]

    travel_to(monkeypatch, tokyo(effective, 0) + dt.timedelta(minutes=1))
    run_pending_jobs()
    reshuffle.refresh_from_db()
    assert reshuffle.status == Reshuffle.Status.APPLIED
    assert clerk_departments(clerk) == [("500100", "主任")]
    assert AuditEntry.objects.filter(action="org.reshuffle.apply", target_id=str(reshuffle.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_overdue_reshuffles_apply_at_the_next_worker_run_in_date_order(tmp_path, monkeypatch, clerk):
    today = timezone.localdate()
    later = store(tmp_path, MOVE_CLERK.replace("主任", "主査"), today + dt.timedelta(days=2), "later.csv")
    earlier = store(tmp_path, MOVE_CLERK, today + dt.timedelta(days=1), "earlier.csv")

    travel_to(monkeypatch, tokyo(today + dt.timedelta(days=30), 9))  # the server was off for a month
    run_pending_jobs()

    earlier.refresh_from_db()
    later.refresh_from_db()
    assert (earlier.status, later.status) == (Reshuffle.Status.APPLIED, Reshuffle.Status.APPLIED)
    assert earlier.applied_at <= later.applied_at
    assert clerk_departments(clerk) == [("500100", "主査")]


@pytest.mark.django_db(transaction=True)
def test_reshuffle_that_no_longer_fits_fails_changes_nothing_and_mails_it_admins(
    tmp_path, monkeypatch, clerk, it_admin
):
    effective = timezone.localdate() + dt.timedelta(days=3)
    reshuffle = store(tmp_path, MOVE_CLERK, effective)
    Department.objects.filter(code="500100").update(is_active=False)  # 道路課 abolished meanwhile

    travel_to(monkeypatch, tokyo(effective, 1))
    run_pending_jobs()

    reshuffle.refresh_from_db()
    assert reshuffle.status == Reshuffle.Status.FAILED
    assert reshuffle.error == "april.csv:2: department_code: 所属 500100 は廃止されています"
    assert clerk_departments(clerk) == [("100100", "主事")]
    assert AuditEntry.objects.filter(action="org.reshuffle.fail").count() == 1
    mail = OutgoingEmail.objects.get()
    assert mail.to == [it_admin.email]
    assert "april.csv:2: department_code" in mail.body


@pytest.mark.django_db(transaction=True)
def test_cancelled_reshuffle_is_never_applied(tmp_path, monkeypatch, clerk, it_admin, client):
    effective = timezone.localdate() + dt.timedelta(days=5)
    reshuffle = store(tmp_path, MOVE_CLERK, effective)
    client.force_login(it_admin)

    response = client.post(reverse("org:reshuffle_cancel", args=[reshuffle.pk]))

    assert response.status_code == 302
    reshuffle.refresh_from_db()
    assert (reshuffle.status, reshuffle.cancelled_by) == (Reshuffle.Status.CANCELLED, it_admin)
    assert AuditEntry.objects.filter(action="org.reshuffle.cancel", actor=it_admin).count() == 1
    travel_to(monkeypatch, tokyo(effective, 2))
    run_pending_jobs()
    reshuffle.refresh_from_db()
    assert reshuffle.status == Reshuffle.Status.CANCELLED
    assert clerk_departments(clerk) == [("100100", "主事")]


def test_reshuffle_page_lists_pending_with_preview_for_it_admins(tmp_path, client, clerk, it_admin):
    store(tmp_path, MOVE_CLERK, timezone.localdate() + dt.timedelta(days=5))
    client.force_login(it_admin)

    response = client.get("/manage/reshuffles/")

    assert response.status_code == 200
    assert "道路課(主任・本務)" in response.content.decode()


def test_reshuffle_page_and_cancel_are_404_for_clerks(tmp_path, client, clerk):
    reshuffle = store(tmp_path, MOVE_CLERK, timezone.localdate() + dt.timedelta(days=5))
    client.force_login(clerk)

    assert client.get(reverse("org:reshuffles")).status_code == 404
    assert client.post(reverse("org:reshuffle_cancel", args=[reshuffle.pk])).status_code == 404
    reshuffle.refresh_from_db()
    assert reshuffle.status == Reshuffle.Status.PENDING


def test_admin_cancel_action_cancels_and_audits(tmp_path, client, clerk, it_admin):
    reshuffle = store(tmp_path, MOVE_CLERK, timezone.localdate() + dt.timedelta(days=5))
    client.force_login(it_admin)

    response = client.post(
        "/admin/org/reshuffle/", {"action": "cancel_reshuffles", "_selected_action": [reshuffle.pk]}
    )

    assert response.status_code == 302
    reshuffle.refresh_from_db()
    assert reshuffle.status == Reshuffle.Status.CANCELLED
    assert AuditEntry.objects.filter(action="org.reshuffle.cancel").count() == 1


def test_effective_date_in_the_past_is_refused(tmp_path, clerk):
    from django.core.management import CommandError

    path = tmp_path / "old.csv"
    path.write_text(MOVE_CLERK, encoding="utf-8")
    with pytest.raises(CommandError, match="過去の日付"):
        call_command("import_staff", str(path), "--effective", "2001-04-01", stdout=StringIO())
    assert not Reshuffle.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_staff_file_may_refer_to_departments_a_pending_reshuffle_creates(tmp_path, clerk):
    effective = timezone.localdate() + dt.timedelta(days=5)
    store(tmp_path, "code,name,parent_code\n100300,広報課,100000\n", effective, "depts.csv")

    staff = store(tmp_path, MOVE_CLERK.replace("500100", "100300"), effective, "staff.csv")

    assert staff.status == Reshuffle.Status.PENDING


@pytest.mark.django_db
def test_it_admin_books_a_reshuffle_by_uploading_the_csv_on_the_page(client, it_admin, clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(it_admin)
    page = client.get("/manage/reshuffles/").content.decode()
    assert 'data-testid="reshuffle-upload"' in page and 'name="file"' in page
    effective = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(
        "/manage/reshuffles/",
        {
            "file": SimpleUploadedFile("april.csv", MOVE_CLERK.encode("cp932"), content_type="text/csv"),
            "effective_date": effective.isoformat(),
        },
    )
    assert response.status_code == 302
    reshuffle = Reshuffle.objects.get()
    assert (reshuffle.source_name, reshuffle.effective_date, reshuffle.status, reshuffle.created_by_id) == (
        "april.csv", effective, Reshuffle.Status.PENDING, it_admin.pk,
    )  # fmt: skip
    assert clerk_departments(clerk) == [("100100", "主事")]  # applied on its date, not now
    assert AuditEntry.objects.get(action="org.reshuffle.create").actor_id == it_admin.pk


@pytest.mark.django_db
def test_a_bad_upload_names_line_and_field_and_stores_nothing(client, it_admin, clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(it_admin)
    bad = HEADER + "\n100002,佐藤,花子,サトウ,ハナコ,100002@pref.example.lg.jp,999999,主任,1,0\n"
    response = client.post(
        "/manage/reshuffles/",
        {
            "file": SimpleUploadedFile("bad.csv", bad.encode(), content_type="text/csv"),
            "effective_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "bad.csv:2: department_code:" in html
    past = client.post(
        "/manage/reshuffles/",
        {
            "file": SimpleUploadedFile("a.csv", MOVE_CLERK.encode(), content_type="text/csv"),
            "effective_date": "2020-04-01",
        },
    )
    assert past.status_code == 400
    assert "effective_date: 発令日は今日以降にしてください。" in past.content.decode()
    assert not Reshuffle.objects.exists()
    # Only IT administrators.
    client.force_login(clerk)
    assert client.post("/manage/reshuffles/", {}).status_code in (403, 404)
