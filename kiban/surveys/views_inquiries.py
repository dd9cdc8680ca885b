"""Inquiry pages: inbox and sent, sending one, and its page — the sender's table of every section, or a
section member's answer form (phone first)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.blobs import store
from kiban.org import queries as org_queries
from kiban.surveys import inquiries
from kiban.surveys.forms import deadline_from
from kiban.surveys.models import Inquiry, InquiryTarget


def _errors(error: ValidationError) -> list[str]:
    return [m for msgs in error.message_dict.values() for m in msgs]


def _upload_all(request) -> list[int]:
    return [inquiries.do_upload_file(request.user, f).pk for f in request.FILES.getlist("files")]


@login_required
def index(request):
    return render(request, "surveys/inquiries.html", {
        "inbox": inquiries.inbox(request.user)[:100],
        "sent": Inquiry.objects.filter(sender=request.user).order_by("-created_at")[:100],
    })  # fmt: skip


@login_required
def new(request):
    errors: list[str] = []
    if request.method == "POST":
        try:
            inquiry = inquiries.do_send_inquiry(
                request.user, title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                departments=[int(d) for d in request.POST.getlist("departments") if d.isdigit()],
                deadline=deadline_from(request.POST), attachments=_upload_all(request),
            )  # fmt: skip
        except ValidationError as exc:
            errors = _errors(exc)
        except store.TooLarge:
            errors = [_("ファイルが大きすぎます。")]
        else:
            messages.success(request, _("照会を送りました。"))
            return redirect("surveys:inquiry", inquiry.pk)
    return render(request, "surveys/inquiry_new.html", {
        "errors": errors, "data": request.POST,
        "departments": org_queries.labelled_departments(),
    })  # fmt: skip


@login_required
def detail(request, inquiry_id: int):
    inquiry, targets = inquiries.access_inquiry(request.user, inquiry_id)
    errors: list[str] = []
    if request.method == "POST":
        department = request.POST.get("department")
        try:
            inquiries.do_answer(
                request.user, inquiry, body=request.POST.get("body", ""),
                department=int(department) if department and department.isdigit() else None,
                attachments=_upload_all(request),
            )  # fmt: skip
        except ValidationError as exc:
            errors = _errors(exc)
        except inquiries.AlreadyAnswered:
            errors = [_("この所属は回答済みです。")]
        except store.TooLarge:
            errors = [_("ファイルが大きすぎます。")]
        else:
            messages.success(request, _("回答しました。"))
            return redirect("surveys:inquiry", inquiry.pk)
    is_sender = inquiry.sender_id == request.user.pk
    open_targets = [t for t in targets if t.state != InquiryTarget.State.ANSWERED]
    counts = {state: sum(1 for t in targets if t.state == state) for state in InquiryTarget.State.values}
    return render(request, "surveys/inquiry.html", {
        "inquiry": inquiry, "targets": targets, "is_sender": is_sender, "errors": errors,
        "answerable": [] if is_sender and not open_targets else open_targets, "counts": counts,
    })  # fmt: skip


@login_required
@require_POST
def inquiry_action(request, inquiry_id: int):
    inquiry, _targets = inquiries.access_inquiry(request.user, inquiry_id)
    try:
        if request.POST.get("action") == "return":
            inquiries.do_return(
                request.user,
                inquiry,
                int(request.POST.get("department") or 0),
                request.POST.get("comment", ""),
            )
            messages.success(request, _("差し戻しました。"))
        elif request.POST.get("action") == "remind":
            n = inquiries.do_remind(request.user, inquiry)
            messages.success(request, _("未回答の%(n)d所属に督促しました。") % {"n": n})
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("surveys:inquiry", inquiry.pk)
