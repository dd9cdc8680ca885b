"""IT administrators' page of reshuffles (人事異動): pending ones with their preview, and cancelling."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.core.permissions import it_admin_required
from kiban.org import reshuffle as reshuffles


@it_admin_required
def reshuffle_list(request):
    return render(request, "org/reshuffles.html", {"reshuffles": reshuffles.listed_reshuffles()})


@login_required
@require_POST
def reshuffle_cancel(request, reshuffle_id: int):
    reshuffle = reshuffles.access_reshuffle(request.user, reshuffle_id)
    if reshuffles.do_cancel_reshuffle(reshuffle, actor=request.user, request=request):
        messages.success(request, _("人事異動 #%(id)d を取り消しました。") % {"id": reshuffle.pk})
    else:
        messages.error(
            request, _("人事異動 #%(id)d は予約中ではないため取り消せません。") % {"id": reshuffle.pk}
        )
    return redirect("org:reshuffles")
