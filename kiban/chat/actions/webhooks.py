"""Incoming webhooks: an owner creates one for a conversation; `POST /hooks/<token>` posts as its bot.

A bot must never pass for a person: its name may not be (or contain) a member of staff's name — in kanji,
kana or romaji, with variant kanji and widths folded (`kiban.core.text.normalize`) — or a 職員番号, and every
bot post shows a ボット badge. A webhook acts on its creator's authority: once the creator has left the
conversation or retired, it stops (posts are refused) until an owner renews it (`do_renew_webhook`: the owner
becomes its creator)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.accounts.tokens import hash_token
from kiban.chat.actions.common import field_error
from kiban.chat.actions.conversations import _require_owner
from kiban.chat.actions.messages import do_post_message
from kiban.chat.models import Conversation, Member, Message, Webhook
from kiban.core import audit
from kiban.core.text import normalize

WEBHOOK_PREFIX = "kbh_"
MAX_BOT_NAME = 64
MAX_TEXT = 10_000


def clean_bot_name(name: str | None, *, field: str = "bot_name", required: bool = True) -> str:
    name = (name or "").strip()
    if required and not name:
        raise field_error(field, _("ボット名を入力してください。"))
    if len(name) > MAX_BOT_NAME or any(ch in name for ch in "\r\n\x00"):
        raise field_error(field, _("%(max)d文字以内の1行で入力してください。") % {"max": MAX_BOT_NAME})
    if name and _looks_like_staff(name):
        raise field_error(field, _("職員の名前や職員番号はボット名に使えません。"))
    return name


# The longest whole name looked for inside a bot name (normalised, without spaces).
MAX_NAME_KEY = 40


def _looks_like_staff(name: str) -> bool:
    """True when the bot name is, or contains, someone's whole name (kanji, kana, romaji in either order) or
    is a 職員番号. Every member of staff, retired ones too (an old name in a log still reads as that person).
    One query on the indexed name keys (`Staff.name_key` …, normalised like the bot name): every stretch of
    the bot name is a candidate key."""
    compact = normalize(name).replace(" ", "")
    stretches = {
        compact[start:end]
        for start in range(len(compact))
        for end in range(start + 2, min(len(compact), start + MAX_NAME_KEY) + 1)
    }
    return Staff.objects.filter(
        Q(username__iexact=name.strip())
        | Q(name_key__in=stretches)
        | Q(kana_key__in=stretches)
        | Q(romaji_key__in=stretches)
        | Q(romaji_reverse_key__in=stretches)
    ).exists()


def webhook_is_live(hook: Webhook) -> bool:
    """The webhook's creator is still in service and still a member of its conversation."""
    creator = hook.created_by
    if creator is None or not creator.is_active:
        return False
    return Member.objects.filter(conversation_id=hook.conversation_id, staff_id=creator.pk).exists()


def webhooks_of(user, conv: Conversation) -> QuerySet[Webhook]:
    """The conversation's live webhooks, oldest first (owners only)."""
    _require_owner(conv)
    return conv.webhooks.filter(revoked_at__isnull=True).select_related("created_by").order_by("id")


def do_create_webhook(actor, conv: Conversation, bot_name: str) -> tuple[Webhook, str]:
    """An owner creates a webhook. Returns it and its token, which is shown this once and stored hashed."""
    _require_owner(conv)
    if conv.kind == Conversation.Kind.DM:
        raise field_error("conversation", _("ダイレクトメッセージにはWebhookを作れません。"))
    bot_name = clean_bot_name(bot_name)
    token = WEBHOOK_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        hook = Webhook.objects.create(
            conversation=conv, bot_name=bot_name, token_hash=hash_token(token), created_by=actor
        )
        audit.record("chat.webhook.create", actor=actor, target=hook, conversation=conv.pk)
    return hook, token


def do_revoke_webhook(actor, conv: Conversation, webhook_id: int) -> None:
    _require_owner(conv)
    with transaction.atomic():
        hook = Webhook.objects.filter(pk=webhook_id, conversation=conv, revoked_at__isnull=True).first()
        if hook is None:
            raise Http404
        hook.revoked_at = timezone.now()
        hook.save(update_fields=["revoked_at"])
        audit.record("chat.webhook.revoke", actor=actor, target=hook, conversation=conv.pk)


def do_renew_webhook(actor, conv: Conversation, webhook_id: int) -> Webhook:
    """An owner takes over a webhook stopped because its creator left or retired: it posts again, on the
    owner's authority."""
    _require_owner(conv)
    with transaction.atomic():
        hook = (
            Webhook.objects.select_for_update()
            .filter(pk=webhook_id, conversation=conv, revoked_at__isnull=True)
            .first()
        )
        if hook is None:
            raise Http404
        previous = hook.created_by_id
        hook.created_by = actor
        hook.save(update_fields=["created_by"])
        audit.record(
            "chat.webhook.renew", actor=actor, target=hook, conversation=conv.pk, previous_creator=previous
        )
    return hook


class WebhookStopped(Exception):
    """The webhook exists but its creator left the conversation or retired (see the module docstring)."""


def access_webhook(token: str) -> Webhook:
    """The live webhook for a token (Http404 when unknown or revoked; WebhookStopped when its creator left
    or retired)."""
    if not token or len(token) > 200:
        raise Http404
    hook = (
        Webhook.objects.select_related("conversation", "created_by")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if hook is None:
        raise Http404
    if not webhook_is_live(hook):
        raise WebhookStopped
    return hook


def do_post_via_webhook(hook: Webhook, text: object, username: object = None) -> Message:
    """Post `text` as the webhook's bot (or `username`, a per-call bot name)."""
    if not isinstance(text, str) or not text.strip():
        raise field_error("text", _("本文を入力してください。"))
    if len(text) > MAX_TEXT:
        raise field_error("text", _("%(max)d文字以内で入力してください。") % {"max": MAX_TEXT})
    if username is not None and not isinstance(username, str):
        raise field_error("username", _("文字列で指定してください。"))
    bot_name = clean_bot_name(username, field="username", required=False) or hook.bot_name
    message = do_post_message(None, hook.conversation, text, bot_name=bot_name)
    Webhook.objects.filter(pk=hook.pk).update(last_used_at=timezone.now())
    return message
