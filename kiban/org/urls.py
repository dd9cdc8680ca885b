from __future__ import annotations

from django.urls import path

from kiban.org import reshuffle_views, views

app_name = "org"
urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("directory/departments/<int:department_id>/", views.department, name="department"),
    path("directory/staff/<str:username>/", views.profile, name="profile"),
    path("manage/reshuffles/", reshuffle_views.reshuffle_list, name="reshuffles"),
    path(
        "manage/reshuffles/<int:reshuffle_id>/cancel/",
        reshuffle_views.reshuffle_cancel,
        name="reshuffle_cancel",
    ),
]
