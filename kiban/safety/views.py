"""Safety pages: the list (my open checks and history), the answer page (no JavaScript, under 30 KB — it
does not load the shell), starting a check, the live dashboard with CSV export, and the templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.org import queries as org_queries
from kiban.safety import actions, queries
from kiban.safety.api import csv_response
from kiban.safety.models import SafetyTemplate, Status, Target


def _errors(error: ValidationError) -> list[str]:
    return [m for msgs in error.message_dict.values() for m in msgs]


def _departments_from(post) -> list[int]:
    return [int(d) for d in post.getlist("departments") if d.isdigit()]


@login_required
def index(request):
    admin = actions.is_safety_admin(request.user)
    scope = set() if admin else actions.headed_scope(request.user)
    checks = list(queries.checks_for(request.user, admin=admin, scope=scope)[:50])
    mine = queries.my_targets(request.user, [c.pk for c in checks])
    rows = [{"check": c, "target": mine.get(c.pk)} for c in checks]
    return render(request, "safety/index.html", {
        "to_answer": [r for r in rows if r["check"].is_open and r["target"] and not r["target"].status],
        "rows": rows, "admin": admin, "watcher": admin or bool(scope),
        "templates": SafetyTemplate.objects.all() if admin else [],
    })  # fmt: skip


@login_required
def answer(request, check_id: int):
    """The two-tap page. Works as a plain form POST; redirects after an answer (a reload never resends)."""
    access = actions.access_check(request.user, check_id)
    check = access.check
    person, target = request.user, access.target
    # A proxy answer (代理回答) names the person's row of this check, not their staff number.
    proxy_for = request.POST.get("for") or request.GET.get("for") or ""
    proxy_username = None
    if proxy_for:
        target = (
            Target.objects.select_related("staff").filter(safety_check=check, pk=proxy_for).first()
            if proxy_for.isdigit() and access.can_view_dashboard
            else None
        )
        if target is None or not (access.admin or target.department_id in (access.scope or ())):
            raise Http404
        person, proxy_username = target.staff, target.staff.get_username()
        if person.pk == request.user.pk:
            proxy_for, proxy_username = "", None
    errors: list[str] = []
    if request.method == "POST":
        if target is None:
            raise Http404
        try:
            actions.do_answer(
                request.user, check, status=request.POST.get("status", ""), can_work=request.POST.get("can_work"),
                comment=request.POST.get("comment", ""), username=proxy_username,
            )  # fmt: skip
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionDenied as exc:
            errors = [str(exc).split(": ", 1)[-1]]
        except actions.Closed:
            errors = [_("この安否確認は締め切られました。回答できません。")]
        else:
            url = request.path + ("?done=1" + (f"&for={proxy_for}" if proxy_for else ""))
            return redirect(url)
    status = request.POST.get("status") if errors else (target.status if target else "")
    can_work = request.POST.get("can_work") if errors else (
        "" if target is None or target.can_work is None else ("1" if target.can_work else "0")
    )  # fmt: skip
    return render(request, "safety/answer.html", {
        "check": check, "target": target, "person": person, "proxy": person != request.user, "errors": errors,
        "statuses": Status.choices, "status": status, "can_work": can_work,
        "comment": request.POST.get("comment", "") if errors else (target.comment if target else ""),
        "done": request.GET.get("done") == "1" and not errors, "watcher": access.can_view_dashboard,
    })  # fmt: skip


@login_required
def new(request):
    if not actions.is_safety_admin(request.user):
        raise Http404
    errors: list[str] = []
    if request.method == "POST":
        try:
            template_id = request.POST.get("template", "")
            if template_id:
                template = (
                    get_object_or_404(SafetyTemplate, pk=template_id) if template_id.isdigit() else None
                )
                if template is None:
                    raise Http404
                check = actions.do_start_from_template(request.user, template)
            else:
                check = actions.do_start_check(
                    request.user, title=request.POST.get("title", ""), message=request.POST.get("message", ""),
                    departments=_departments_from(request.POST),
                )  # fmt: skip
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("安否確認を開始しました。対象者に通知しています。"))
            return redirect("safety:dashboard", check.pk)
    return render(request, "safety/new.html", {
        "errors": errors, "data": request.POST, "departments": org_queries.labelled_departments(),
        "chosen": set(_departments_from(request.POST)), "templates": SafetyTemplate.objects.all(),
    })  # fmt: skip


def _dashboard_context(request, access: actions.Access) -> dict:
    scope = None if access.admin else access.scope
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    counts = queries.summary(access.check, scope)
    rows, more = queries.unanswered(access.check, scope, offset=offset)
    labels = org_queries.department_labels({t.department_id for t in rows if t.department_id})
    for t in rows:
        t.section = labels.get(t.department_id, "")
    percent = round(100 * counts.answered / counts.audience) if counts.audience else 0
    return {
        "check": access.check, "access": access, "summary": counts, "percent": percent, "unanswered": rows,
        "more": more, "next_offset": offset + len(rows), "offset": offset, "statuses": Status.choices,
        "by_status": [(label, counts.by_status[value]) for value, label in Status.choices],
    }  # fmt: skip


@login_required
def dashboard(request, check_id: int):
    access = actions.access_check(request.user, check_id)
    if not access.can_view_dashboard:
        raise Http404
    context = _dashboard_context(request, access)
    template = "safety/_dashboard.html" if request.GET.get("fragment") == "1" else "safety/dashboard.html"
    return render(request, template, context)


@login_required
@require_POST
def dashboard_action(request, check_id: int):
    access = actions.access_check(request.user, check_id)
    if not access.can_view_dashboard:
        raise Http404
    action = request.POST.get("action")
    try:
        if action == "remind":
            n = actions.do_remind(request.user, access)
            messages.success(request, _("未回答の%(n)d人に督促しました。") % {"n": n})
        elif action == "close":
            actions.do_close(request.user, access.check)
            messages.success(request, _("締め切りました。回答は引き続き閲覧できます。"))
    except (PermissionDenied, actions.Closed):
        messages.error(request, _("この操作はできません。"))
    return redirect("safety:dashboard", access.check.pk)


@login_required
def export(request, check_id: int):
    access = actions.access_check(request.user, check_id)
    if not access.can_view_dashboard:
        raise Http404
    return csv_response(access)


@login_required
def templates(request):
    if not actions.is_safety_admin(request.user):
        raise Http404
    errors: list[str] = []
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = SafetyTemplate.objects.filter(pk=int(request.GET["edit"])).first()
    if request.method == "POST":
        action = request.POST.get("action", "save")
        template = None
        if request.POST.get("id", "").isdigit():
            template = get_object_or_404(SafetyTemplate, pk=int(request.POST["id"]))
        try:
            if action == "delete" and template is not None:
                actions.do_delete_template(request.user, template)
                messages.success(request, _("テンプレートを削除しました。"))
                return redirect("safety:templates")
            if action == "start" and template is not None:
                check = actions.do_start_from_template(request.user, template)
                messages.success(request, _("安否確認を開始しました。対象者に通知しています。"))
                return redirect("safety:dashboard", check.pk)
            actions.do_save_template(
                request.user, name=request.POST.get("name", ""), title=request.POST.get("title", ""),
                message=request.POST.get("message", ""), departments=_departments_from(request.POST),
                template=template,
            )  # fmt: skip
        except ValidationError as exc:
            errors = _errors(exc)
            editing = template
        else:
            messages.success(request, _("テンプレートを保存しました。"))
            return redirect("safety:templates")
    chosen = set(_departments_from(request.POST)) if errors else set(editing.departments if editing else [])
    return render(request, "safety/templates.html", {
        "templates": SafetyTemplate.objects.all(), "editing": editing, "errors": errors,
        "data": request.POST if errors else None, "departments": org_queries.labelled_departments(),
        "chosen": chosen,
    })  # fmt: skip
