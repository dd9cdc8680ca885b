"""Kiban's Django admin: the default admin site, with every change also written to the audit log.

Django admin logs each add, change and delete through `LogEntry.objects.log_actions` (Django 5.1+; the
ModelAdmin methods log_addition/log_change/log_deletions all call it). `KibanAdminConfig.ready` wraps that
one method so each admin LogEntry gets an AuditEntry beside it, whichever app's ModelAdmin made the
change; the site's `admin_view` remembers the request so the entry carries the administrator's address.
Enabled by listing `kiban.core.adminsite.KibanAdminConfig` instead of `django.contrib.admin` in settings.

The admin has no sign-in form of its own: `/admin/login/` sends the browser to the one sign-in
(`settings.LOGIN_URL`, with `next`), where the rate limit, two-factor and the audit log apply. Django's own
admin login form would check the password alone, uncounted and unaudited.
"""

from __future__ import annotations

import contextvars
import functools
from urllib.parse import quote

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig

_admin_request: contextvars.ContextVar = contextvars.ContextVar("kiban_admin_request", default=None)

_ACTION_NAMES = {1: "add", 2: "change", 3: "delete"}


class KibanAdminSite(admin.AdminSite):
    site_header = _("基盤 管理画面")
    site_title = _("基盤 管理画面")
    index_title = _("管理")

    def login(self, request, extra_context=None):
        """Never a password form here: the one sign-in at LOGIN_URL, then back to the admin."""
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or ""
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = index
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(next_url)
            # Signed in but not an administrator: sending them to sign in again would loop.
            raise PermissionDenied
        # (Not django.contrib.auth.views.redirect_to_login: importing it here, at app loading, loads models.)
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?{REDIRECT_FIELD_NAME}={quote(next_url, safe='/')}")

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        @functools.wraps(wrapped)
        def remember_request(request, *args, **kwargs):
            token = _admin_request.set(request)
            try:
                return wrapped(request, *args, **kwargs)
            finally:
                _admin_request.reset(token)

        return remember_request


def _audit_admin_log_actions(original):
    @functools.wraps(original)
    def log_actions(user_id, queryset, action_flag, change_message="", *, single_object=False):
        from kiban.core.audit import record  # cycle: INSTALLED_APPS names this module, audit imports models

        objects = list(queryset)
        result = original(
            user_id=user_id,
            queryset=objects,
            action_flag=action_flag,
            change_message=change_message,
            single_object=single_object,
        )
        request = _admin_request.get()
        actor = getattr(request, "user", None)
        if actor is None or actor.pk != user_id:
            actor = get_user_model().objects.filter(pk=user_id).first()
        entries = result if isinstance(result, list) else [result]
        for obj, log_entry in zip(objects, entries, strict=False):
            record(
                f"admin.{obj._meta.label_lower}.{_ACTION_NAMES.get(action_flag, action_flag)}",
                actor=actor,
                target=obj,
                request=request,
                change=log_entry.get_change_message() if log_entry is not None else "",
            )
        return result

    return log_actions


class KibanAdminConfig(AdminConfig):
    default_site = "kiban.core.adminsite.KibanAdminSite"

    def ready(self) -> None:
        super().ready()
        from django.contrib.admin.models import LogEntry

        manager = LogEntry.objects  # the same manager instance on every access
        if not getattr(manager.log_actions, "_kiban_audited", False):
            manager.log_actions = _audit_admin_log_actions(manager.log_actions)
            manager.log_actions._kiban_audited = True


class TasksDatabaseConfig(TasksAppConfig):
    """django-tasks' database backend with Japanese headings in the admin (its own are English only)."""

    verbose_name = _("バックグラウンド処理")

    def ready(self) -> None:
        super().ready()
        from django_tasks_db.models import DBTaskResult

        # Display names only: Meta.original_attrs is untouched, so no migration is asked for.
        DBTaskResult._meta.verbose_name = _("処理の記録")
        DBTaskResult._meta.verbose_name_plural = _("処理の記録")
