from django.urls import path

from kiban.web import views

app_name = "web"
urlpatterns = [
    path("", views.portal, name="portal"),
    path("manage/", views.manage, name="manage"),
]
