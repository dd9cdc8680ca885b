from __future__ import annotations

from django.urls import path

from kiban.surveys import views, views_inquiries

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.index, name="index"),
    path("surveys/new", views.new, name="new"),
    path("surveys/<int:survey_id>/", views.answer, name="answer"),
    path("surveys/<int:survey_id>/results", views.results_page, name="results"),
    path("surveys/<int:survey_id>/action", views.survey_action, name="action"),
    path("inquiries/", views_inquiries.index, name="inquiries"),
    path("inquiries/new", views_inquiries.new, name="inquiry_new"),
    path("inquiries/<int:inquiry_id>/", views_inquiries.detail, name="inquiry"),
    path("inquiries/<int:inquiry_id>/action", views_inquiries.inquiry_action, name="inquiry_action"),
]
