from __future__ import annotations

from django.urls import path

from kiban.chat import hooks, views

app_name = "chat"
urlpatterns = [
    path("chat/", views.index, name="index"),
    path("chat/c/<int:conversation_id>/", views.conversation, name="conversation"),
    path("chat/c/<int:conversation_id>/post/", views.post, name="post"),
    path("chat/c/<int:conversation_id>/join/", views.join, name="join"),
    path("chat/c/<int:conversation_id>/info/", views.info, name="info"),
    path("chat/c/<int:conversation_id>/t/<int:message_id>/", views.thread, name="thread"),
    path("chat/dm/<str:username>", views.dm, name="dm"),
    path("chat/browse/", views.browse, name="browse"),
    path("chat/teams/<int:team_id>/join/", views.join_team, name="join_team"),
    path("chat/new/", views.new, name="new"),
    path("chat/search/", views.search, name="search"),
    path("hooks/<str:token>", hooks.incoming, name="webhook"),
]
