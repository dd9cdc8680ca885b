from django.contrib import admin
from django.urls import include, path

from kiban.api import api

urlpatterns = [
    path("", include("kiban.core.urls")),
    path("", include("kiban.accounts.urls")),
    path("", include("kiban.org.urls")),
    path("", include("kiban.realtime.urls")),
    path("", include("kiban.notifications.urls")),
    path("", include("kiban.chat.urls")),
    path("", include("kiban.calendar.urls")),
    path("", include("kiban.booking.urls")),
    path("", include("kiban.web.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
