from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from kiban.portal.views import home as portal_home
from kiban.web import views

app_name = "web"
urlpatterns = [
    # The home page is the portal module's; its name stays `web:portal` (the navigation and templates use it).
    path("", portal_home, name="portal"),
    path("manage/", views.manage, name="manage"),
    # Pages without our <link rel="icon"> (the Django admin) make browsers ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("kiban/icon.svg"), permanent=True), name="favicon"),
]
