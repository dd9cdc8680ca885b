"""Django admin for IT administrators: section quotas (policy), usage (read only). Files themselves are
changed through the files pages and API, which keep the access rules."""

from __future__ import annotations

from django.contrib import admin

from kiban.accounts.admin import ItAdminPermissions
from kiban.files.models import SectionQuota, SectionUsage


@admin.register(SectionQuota)
class SectionQuotaAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["department", "limit_bytes"]
    autocomplete_fields = ["department"]


@admin.register(SectionUsage)
class SectionUsageAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["department", "used_bytes"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
