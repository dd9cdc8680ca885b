"""The notification centre page (/notifications/): the list, mark all read, open one, the digest switch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kiban.notifications import actions

PAGE = 30


def _page_context(request) -> dict:
    try:
        before = int(request.GET.get("before", "")) or None
    except ValueError:
        before = None
    unread_only = request.GET.get("unread") == "1"
    rows, more = actions.list_notifications(
        request.user, unread_only=unread_only, before_id=before, limit=PAGE
    )
    return {
        "notifications": rows,
        "more": more,
        "next_before": rows[-1].pk if rows else None,
        "unread_only": unread_only,
    }


@login_required
def index(request):
    context = _page_context(request)
    # "もっと見る" asks for the next rows only.
    if request.headers.get("HX-Request") == "true" and request.GET.get("before"):
        return render(request, "notifications/_rows.html", context)
    context["unread"] = actions.unread_count(request.user)
    context["email_digest"] = actions.email_digest_enabled(request.user)
    return render(request, "notifications/index.html", context)


@login_required
@require_POST
def read_all(request):
    actions.mark_all_read(request.user)
    if request.headers.get("HX-Request") == "true":
        context = _page_context(request)
        context["unread"] = 0
        return render(request, "notifications/_list.html", context)
    return redirect("notifications:index")


@login_required
def open_notification(request, notification_id: int):
    """Mark it read, then go where it points (a path on this site, checked when it was stored)."""
    n = actions.mark_read(request.user, notification_id)
    return redirect(n.url or "notifications:index")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """The setting lives on the notification centre's page: a GET (a bookmark, a link in a digest mail)
    goes there instead of answering a bare 405."""
    if request.method == "GET":
        return redirect(reverse("notifications:index") + "#preferences")
    enabled = request.POST.get("email_digest") == "1"
    actions.do_set_email_digest(request.user, enabled)
    messages.success(
        request,
        _("未読のメール要約を受け取ります。") if enabled else _("未読のメール要約を止めました。"),
    )
    return redirect("notifications:index")
