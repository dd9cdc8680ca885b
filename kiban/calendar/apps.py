from __future__ import annotations

from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "kiban.calendar"
    label = "calendar"
