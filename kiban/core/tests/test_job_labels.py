"""Every background job has words on the jobs page, not only its Python path."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from kiban.core.job_labels import job_label, labels

ROOT = Path(__file__).resolve().parents[2]  # kiban/


def _jobs_in_sources() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else decorator
                if (func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")) == "job":
                    module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
                    found.append(f"{module}.{node.name}")
    return found


def test_the_source_scan_finds_the_jobs():
    assert {"kiban.core.mail.deliver_email", "kiban.calendar.jobs.send_due_reminders"} <= set(
        _jobs_in_sources()
    )


@pytest.mark.parametrize("path", _jobs_in_sources())
def test_every_job_has_a_label_declared_by_its_own_app(path):
    assert path in labels(), f"job {path} has no words"
    app = ".".join(path.split(".")[:2])
    assert path in importlib.import_module(f"{app}.labels").JOB_LABELS, f"{app}/labels.py must declare {path}"


def test_the_jobs_page_says_what_a_job_does(it_admin, client):
    from kiban.core.mail import deliver_email

    result = deliver_email.enqueue(999_999)  # waits in the queue: the page lists it
    client.force_login(it_admin)
    html = client.get("/manage/jobs").content.decode()
    assert "<td>メールの送信" in html
    assert '<code class="small muted">kiban.core.mail.deliver_email</code>' in html
    assert result.id
    assert job_label("kiban.gone.jobs.old") == "kiban.gone.jobs.old"


def test_admin_index_headings_are_japanese(client, django_user_model):
    superuser = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    client.force_login(superuser)
    html = client.get("/admin/").content.decode()
    assert "バックグラウンド処理" in html and "処理の記録" in html
    assert "Tasks Database Backend" not in html and "Task Result" not in html
