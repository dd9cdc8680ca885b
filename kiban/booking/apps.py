from __future__ import annotations

from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "kiban.booking"
    label = "booking"
