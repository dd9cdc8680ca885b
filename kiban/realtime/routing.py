"""WebSocket routes. `/ws` is the one socket per client (kiban.realtime.socket).

`/ws` checks the Origin itself, only for session-cookie sign-ins (a Bearer token cannot come from a hostile
page, and native clients send no Origin). A route added here must be wrapped in Channels'
`AllowedHostsOriginValidator(AuthMiddlewareStack(...))`.
"""

from __future__ import annotations

from channels.routing import URLRouter
from channels.sessions import CookieMiddleware
from django.urls import path

from kiban.realtime.socket import realtime_socket

websocket_urlpatterns: list = [
    path("ws", CookieMiddleware(realtime_socket)),
]

websocket_application = URLRouter(websocket_urlpatterns)
