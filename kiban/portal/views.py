from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kiban.portal import sections


@login_required
def home(request):
    """Each person's home page: today in 和暦, then every module's section (`kiban.portal.sections`)."""
    shown = sections.render_sections(request, sections.collect(request))
    return render(request, "portal/home.html", {"today": sections.today_out(), "sections": shown})
