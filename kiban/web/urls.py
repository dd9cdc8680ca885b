from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from kiban.web import views

app_name = "web"
urlpatterns = [
    path("", views.portal, name="portal"),
    path("manage/", views.manage, name="manage"),
    # Pages without our <link rel="icon"> (the Django admin) make browsers ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("kiban/icon.svg"), permanent=True), name="favicon"),
]
