"""ASGI entry point: HTTP through Django, WebSocket through Channels, on one port (uvicorn)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiban.settings")

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

from kiban.core.bodylimit import BodyLimit  # noqa: E402
from kiban.files.receiver import ChunkReceiver  # noqa: E402
from kiban.realtime.longpoll import LongPoll  # noqa: E402
from kiban.realtime.routing import websocket_application  # noqa: E402

# LongPoll holds `GET /api/v1/realtime/events?after=&wait=` on the event loop until there is news, then hands the
# request to Django (the polling fallback, without a thread per waiting client).
# BodyLimit refuses an oversized body with 413 before Django reads (and spools) any of it.
# ChunkReceiver takes the chunks of resumable uploads (`PUT /api/v1/files/uploads/{token}`) before both and
# writes them to storage as they arrive; it bounds each body by its session's chunk size, which may be larger
# than the general request limit (KIBAN_FILES_MAX_CHUNK_BYTES).
application = ChunkReceiver(
    BodyLimit(
        ProtocolTypeRouter({"http": LongPoll(django_asgi_app), "websocket": websocket_application}),
        settings.KIBAN_MAX_REQUEST_BYTES,
    )
)
