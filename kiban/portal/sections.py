"""Gathering the portal: every module's panel provider, called in order, each one isolated.

A provider that raises is logged and its section left out; the rest of the portal still shows. Inside an
open transaction (tests, or a caller's atomic block) each provider runs in a savepoint, so a failed query
does not poison the ones after it."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from kiban.core import modules
from kiban.core.wareki import holiday_name, wareki
from kiban.portal.schemas import HolidayOut, TodayOut

logger = logging.getLogger("kiban.portal")


@dataclass
class Shown:
    key: str
    section: modules.PortalSection
    html: str = ""


def _call(panel: modules.PortalPanel, request) -> modules.PortalSection | None:
    provider = import_string(panel.provider)
    if connection.in_atomic_block:
        with transaction.atomic():
            return provider(request)
    return provider(request)


def collect(request) -> list[Shown]:
    """The sections this person sees, in panel order; failing providers left out (and logged)."""
    shown = []
    for panel in modules.portal_panels():
        try:
            section = _call(panel, request)
        except Exception:
            logger.exception("portal panel %r failed; the section is left out", panel.key)
            continue
        if section is not None:
            shown.append(Shown(panel.key, section))
    return shown


def render_sections(request, shown: list[Shown]) -> list[Shown]:
    """Each section's HTML from its module's template; a template that fails leaves its section out."""
    rendered = []
    for item in shown:
        try:
            item.html = render_to_string(item.section.template, {"data": item.section.data}, request=request)
        except Exception:
            logger.exception("portal panel %r failed to render; the section is left out", item.key)
            continue
        rendered.append(item)
    return rendered


def today_out(today: dt.date | None = None, upcoming: int = 3) -> TodayOut:
    """Today in 和暦 with its holiday (or closed day) name, and the next few holidays."""
    today = today or timezone.localdate()
    found = []
    day = today
    while len(found) < upcoming and day < today + dt.timedelta(days=370):
        day += dt.timedelta(days=1)
        name = holiday_name(day)
        if name:
            found.append(HolidayOut(date=day, wareki=wareki(day, weekday=True), name=name))
    return TodayOut(
        date=today,
        wareki=wareki(today, weekday=True),
        holiday=holiday_name(today),
        weekend=today.weekday() >= 5,
        upcoming_holidays=found,
    )
