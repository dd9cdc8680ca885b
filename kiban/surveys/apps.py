from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class SurveysConfig(modules.KibanModule):
    """Surveys (アンケート) and inquiries (照会・回答): both ask many people or sections and collect answers."""

    name = "kiban.surveys"
    label = "surveys"
    portal_panels = [modules.PortalPanel("surveys", "kiban.surveys.portal.panel", order=40)]
    verbose_name = _("アンケート・照会")
    api_routers = [("/", "kiban.surveys.api"), ("/", "kiban.surveys.api_inquiries")]
    urls = "kiban.surveys.urls"
    navigation = [
        modules.NavEntry(
            "surveys",
            _("アンケート・照会"),
            "surveys:index",
            "survey",
            order=50,
            short_label=pgettext_lazy("nav", "アンケート"),
        )
    ]
