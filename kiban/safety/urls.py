from __future__ import annotations

from django.urls import path

from kiban.safety import views

app_name = "safety"

urlpatterns = [
    path("safety/", views.index, name="index"),
    path("safety/new", views.new, name="new"),
    path("safety/templates", views.templates, name="templates"),
    path("safety/<int:check_id>/", views.answer, name="answer"),
    path("safety/<int:check_id>/dashboard", views.dashboard, name="dashboard"),
    path("safety/<int:check_id>/action", views.dashboard_action, name="action"),
    path("safety/<int:check_id>/answers.csv", views.export, name="export"),
]
