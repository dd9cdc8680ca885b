"""Interactive API docs (/api/v1/docs) from vendored Swagger UI: nothing from a CDN, no inline script.

django-ninja's own Swagger page loads its files from a CDN unless "ninja" is an installed app, and boots them
with a page-specific script; ours uses kiban/static/vendor/swagger-ui-*/ and the ES module api-docs.js, so it
works offline and under the strict Content-Security-Policy (script-src 'self').
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

SWAGGER_UI = "vendor/swagger-ui-5.35.0"


class VendoredSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        # A page for staff, behind sign-in like every page; the schema itself stays readable by clients.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return render(
            request,
            "core/api_docs.html",
            {"api": api, "openapi_url": self.get_openapi_url(api, kwargs), "swagger_ui": SWAGGER_UI},
        )
