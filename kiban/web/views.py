from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from kiban.core.permissions import it_admin_required
from kiban.core.wareki import holiday_name
from kiban.web.sections import available_manage_links, available_sections


@login_required
def portal(request):
    """The person's home page. The portal module (a later issue) fills it with announcements, today's
    schedule and pending approvals; until then it shows the date and the sections that exist."""
    today = timezone.localdate()
    upcoming = []
    day = today
    while len(upcoming) < 3 and day < today + dt.timedelta(days=370):
        day += dt.timedelta(days=1)
        name = holiday_name(day)
        if name:
            upcoming.append((day, name))
    sections = [(s, url) for s, url in available_sections(request.user) if s.key != "portal"]
    return render(
        request,
        "web/portal.html",
        {
            "today": today,
            "today_holiday": holiday_name(today),
            "upcoming_holidays": upcoming,
            "sections": sections,
        },
    )


@it_admin_required
def manage(request):
    """The IT administrator's menu: every administrative page that exists."""
    return render(request, "web/manage.html", {"links": available_manage_links()})
