"""The private iCalendar feed (`/calendar/feed/<token>.ics`): no session, the secret in the URL is the
credential (only its hash is stored), so calendar programs can subscribe."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from kiban.calendar import actions, ics


@require_GET
def feed_view(request, token: str) -> HttpResponse:
    owner = actions.feed_owner(token)
    if owner is None:
        raise Http404
    data = ics.build_calendar(actions.events_of(owner), name=owner.get_full_name())
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
