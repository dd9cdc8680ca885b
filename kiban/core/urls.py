from django.urls import path

from kiban.core import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("manage/jobs", views.jobs, name="jobs"),
    path("manage/jobs/mail/<int:email_id>/resend", views.resend_email, name="resend_email"),
]
