from __future__ import annotations

from django.urls import path

from kiban.bulletin import views

app_name = "bulletin"

urlpatterns = [
    path("bulletin/", views.index, name="index"),
    path("bulletin/new", views.editor, name="new"),
    path("bulletin/<int:post_id>/", views.post_page, name="post"),
    path("bulletin/<int:post_id>/edit", views.editor, name="edit"),
    path("bulletin/<int:post_id>/readers", views.readers_page, name="readers"),
    path("bulletin/<int:post_id>/history", views.history_page, name="history"),
    path("bulletin/<int:post_id>/action", views.post_action, name="action"),
    path("bulletin/attachments/<int:attachment_id>", views.attachment, name="attachment"),
    path("bulletin/categories/", views.categories, name="categories"),
]
