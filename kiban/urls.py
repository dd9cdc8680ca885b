"""The site's URLs: every module's own URLconf (declared in its AppConfig, `kiban.core.modules`), the REST API,
the admin and the language switch. Adding a module changes nothing here."""

from django.contrib import admin
from django.urls import include, path

from kiban.api import api
from kiban.core import modules

urlpatterns = [
    *[path("", include(urlconf)) for urlconf in modules.url_modules()],
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler403 = "kiban.web.errors.permission_denied"
handler404 = "kiban.web.errors.page_not_found"
handler500 = "kiban.web.errors.server_error"
