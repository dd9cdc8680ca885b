"""`{% unread_notifications %}`: the bell's badge, rendered with the page so it is right without script."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from kiban.notifications.actions import unread_count

    return unread_count(user)
