from __future__ import annotations

from django.urls import path

from kiban.meetings import views

app_name = "meetings"
urlpatterns = [
    path("meet/<int:meeting_id>", views.room, name="room"),
    path("meet/<int:meeting_id>/attendance", views.attendance_page, name="attendance"),
    path("meet/now/<int:conversation_id>", views.meet_now, name="meet_now"),
    path("meet/g/<str:token>", views.guest_entry, name="guest"),
    path("meet/g/<str:token>/<str:action>", views.guest_call, name="guest_call"),
]
