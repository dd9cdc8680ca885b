"""`{% unread_notifications %}`: the bell's badge, rendered with the page so it is right without script."""

from __future__ import annotations

from django import template

from kiban.notifications.actions import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user)
