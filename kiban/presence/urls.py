from __future__ import annotations

from django.urls import path

from kiban.presence import views

app_name = "presence"
urlpatterns = [
    path("presence/", views.board, name="board"),
    path("presence/me", views.set_status, name="set_mine"),
    path("presence/set/<str:username>", views.set_status, name="set_for"),
    path("presence/memos/", views.memos, name="memos"),
    path("presence/memos/new", views.take_memo, name="take_memo"),
    path("presence/memos/<int:memo_id>/done", views.memo_done, name="memo_done"),
]
