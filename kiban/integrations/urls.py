from __future__ import annotations

from django.urls import path

from kiban.integrations import views

app_name = "integrations"

urlpatterns = [
    path("manage/integrations/", views.systems, name="systems"),
    path("manage/integrations/<int:system_id>/token", views.rotate, name="rotate"),
    path("manage/integrations/<int:system_id>/enabled", views.toggle, name="toggle"),
    path("manage/integrations/<int:system_id>/delete", views.delete, name="delete"),
]
