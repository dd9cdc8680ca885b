"""Helpers shared by the chat actions: field errors, staff lookup, who receives an event."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.chat.models import Conversation, Member

MAX_GROUP_MEMBERS = 100
MAX_BODY = 10_000
MAX_NAME = 100


def field_error(field: str, message: str) -> ValidationError:
    """A 400 naming `field` (kiban.api turns a ValidationError's message_dict into `field: why`)."""
    return ValidationError({field: [message]})


def staff_by_usernames(usernames: Iterable[str], *, field: str = "members") -> list[Staff]:
    """Active staff for the usernames, in the order given (duplicates once); an unknown or retired one is
    a 400 naming `field`."""
    wanted = list(dict.fromkeys(str(u).strip() for u in usernames if str(u).strip()))
    if not wanted:
        return []
    found = {s.username: s for s in Staff.objects.filter(username__in=wanted, is_active=True)}
    missing = [u for u in wanted if u not in found]
    if missing:
        raise field_error(field, _("職員が見つかりません: %(names)s") % {"names": ", ".join(missing[:5])})
    return [found[u] for u in wanted]


def member_ids(conv: Conversation) -> list[int]:
    return list(Member.objects.filter(conversation=conv).values_list("staff_id", flat=True))


def clean_name(name: str | None, *, field: str = "name", required: bool = False) -> str:
    name = (name or "").strip()
    if required and not name:
        raise field_error(field, _("入力してください。"))
    if len(name) > MAX_NAME:
        raise field_error(field, _("%(max)d文字以内で入力してください。") % {"max": MAX_NAME})
    return name
