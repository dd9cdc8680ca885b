"""Incoming webhooks: an owner creates one for a conversation; `POST /hooks/<token>` posts as its bot."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.tokens import hash_token
from kiban.chat.actions.common import field_error
from kiban.chat.actions.conversations import _require_owner
from kiban.chat.actions.messages import do_post_message
from kiban.chat.models import Conversation, Message, Webhook
from kiban.core import audit

WEBHOOK_PREFIX = "kbh_"
MAX_BOT_NAME = 64
MAX_TEXT = 10_000


def clean_bot_name(name: str | None, *, field: str = "bot_name", required: bool = True) -> str:
    name = (name or "").strip()
    if required and not name:
        raise field_error(field, _("ボット名を入力してください。"))
    if len(name) > MAX_BOT_NAME or any(ch in name for ch in "\r\n\x00"):
        raise field_error(field, _("%(max)d文字以内の1行で入力してください。") % {"max": MAX_BOT_NAME})
    return name


def webhooks_of(user, conv: Conversation) -> list[Webhook]:
    _require_owner(conv)
    return list(conv.webhooks.filter(revoked_at__isnull=True).order_by("id"))


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


def access_webhook(token: str) -> Webhook:
    """The live webhook for a token (Http404 when unknown or revoked)."""
    if not token or len(token) > 200:
        raise Http404
    hook = (
        Webhook.objects.select_related("conversation")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if hook is None:
        raise Http404
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
