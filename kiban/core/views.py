"""Health probes for load balancers and orchestrators, and the IT administrator's view of background work."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kiban.core.job_labels import job_label
from kiban.core.jobs import attempt_of, jobs_needing_attention
from kiban.core.mail import do_resend_email, unsent_emails
from kiban.core.permissions import it_admin_required


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    checks: dict[str, str] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        ok = False
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            ok = False
            checks["redis"] = f"error: {type(exc).__name__}"
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


@require_GET
@it_admin_required
def jobs(request):
    """Failed, running and waiting background jobs and unsent mail: IT administrators only."""
    groups = jobs_needing_attention()
    for rows in groups.values():
        for row in rows:
            row.attempt = attempt_of(row)
            row.label = job_label(row.task_path, default="")
    return render(request, "core/jobs.html", {**groups, "emails": unsent_emails()})


@require_POST
@it_admin_required
def resend_email(request, email_id: int):
    email = do_resend_email(request.user, email_id, request=request)
    messages.success(
        request, _("「%(subject)s」を再送信の待ち行列に入れました。") % {"subject": email.subject}
    )
    return redirect("core:jobs")
