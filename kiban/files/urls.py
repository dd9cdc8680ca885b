from __future__ import annotations

from django.urls import path

from kiban.files import views

app_name = "files"

urlpatterns = [
    path("files/", views.index, name="index"),
    path("files/trash/", views.trash, name="trash"),
    path("files/folders/<int:folder_id>/", views.folder, name="folder"),
    path("files/folders/<int:folder_id>/new", views.create_folder, name="create_folder"),
    path("files/folders/<int:folder_id>/upload", views.upload, name="upload"),
    path("files/folders/<int:folder_id>/action", views.folder_action, name="folder_action"),
    path("files/<int:file_id>/", views.file, name="file"),
    path("files/<int:file_id>/action", views.file_action, name="file_action"),
    path("files/attachments/<int:attachment_id>/save", views.save_attachment, name="save_attachment"),
]
