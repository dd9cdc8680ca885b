from __future__ import annotations

app_name = "realtime"
urlpatterns: list = []
