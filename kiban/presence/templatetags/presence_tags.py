from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from kiban.core.wareki import wareki

register = template.Library()


@register.filter(name="presence_until")
def presence_until(value) -> str:
    """A return time: 15:30 today, else 令和8年12月4日 9:00."""
    if not isinstance(value, dt.datetime):
        return ""
    local = timezone.localtime(value)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{wareki(local.date())} {local:%H:%M}"
