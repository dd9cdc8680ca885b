"""`POST /hooks/<token>`: an incoming webhook posts a message into its conversation as a named bot.

No session and no CSRF (the token is the credential); JSON `{"text": "…", "username"?: "bot name"}`.
Bad JSON or a missing, empty or too long `text` is a 400 naming the field, and nothing is posted; an
unknown or revoked token is a 404; more than RATE_LIMIT posts a minute per webhook is a 429.
"""

from __future__ import annotations

import json

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kiban.chat.actions import WebhookStopped, access_webhook, do_post_via_webhook

RATE_LIMIT = 60  # posts per minute per webhook: enough for monitoring alerts, not for a flood
MAX_REQUEST_BYTES = 64 * 1024


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _over_rate_limit(hook_id: int) -> bool:
    key = f"chat:hook:{hook_id}"
    cache.add(key, 0, timeout=60)
    try:
        return cache.incr(key) > RATE_LIMIT
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)
        return False


@csrf_exempt
@require_POST
def incoming(request: HttpRequest, token: str) -> JsonResponse:
    try:
        hook = access_webhook(token)
    except Http404:
        return _error(404, "Not found.")
    except WebhookStopped:
        return _error(
            403,
            "webhook: 作成した人が会話を抜けたか退職したため停止しています。会話のオーナーが引き継ぐと再開します。",
        )
    if len(request.body) > MAX_REQUEST_BYTES:
        return _error(413, "body: too large")
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, "body: JSON ではありません。")
    if not isinstance(payload, dict):
        return _error(400, "body: JSON オブジェクトを送ってください。")
    if "text" not in payload:
        return _error(400, "text: 必須です。")
    if _over_rate_limit(hook.pk):
        response = _error(429, "rate limited")
        response["Retry-After"] = "60"
        return response
    try:
        message = do_post_via_webhook(hook, payload.get("text"), payload.get("username"))
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        return _error(400, f"{field}: {' '.join(messages)}")
    return JsonResponse(
        {"id": message.pk, "conversation": message.conversation_id, "seq": message.seq}, status=201
    )
