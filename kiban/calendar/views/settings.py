"""The calendar settings page: the private feed URL, export and import (.ics)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from kiban.calendar import actions, ics
from kiban.calendar.models import FeedToken

MAX_IMPORT_BYTES = 10 * 1024 * 1024


@login_required
def calendar_settings(request):
    context: dict = {"max_mb": MAX_IMPORT_BYTES // (1024 * 1024)}
    status = 200
    if request.method == "POST":
        what = request.POST.get("action")
        if what == "feed":
            token, context["feed_replaced"] = actions.do_rotate_feed_token(request.user, request=request)
            context["feed_url"] = actions.feed_url(token, request)
        elif what == "import":
            upload = request.FILES.get("file")
            if upload is None:
                context["import_error"] = _("file: .ics ファイルを選んでください。")
                status = 400
            elif upload.size > MAX_IMPORT_BYTES:
                context["import_error"] = _("file: ファイルが大きすぎます（%(n)d MBまで）。") % {
                    "n": MAX_IMPORT_BYTES // (1024 * 1024)
                }
                status = 400
            else:
                try:
                    context["report"] = actions.do_import_ics(request.user, upload.read())
                except ics.IcsError as error:
                    context["import_error"] = _("file: 読み込めませんでした: %(why)s") % {"why": error}
                    status = 400
    token_row = FeedToken.objects.filter(staff=request.user).first()
    context["feed_created"] = token_row.created_at if token_row else None
    return render(request, "calendar/settings.html", context, status=status)
