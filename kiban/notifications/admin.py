"""Django admin for IT administrators: the digest policy, and people's notification settings."""

from __future__ import annotations

from django.contrib import admin

from kiban.accounts.admin import ItAdminPermissions
from kiban.notifications.models import NotificationPolicy, NotificationPreference


@admin.register(NotificationPolicy)
class NotificationPolicyAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["__str__", "digest_enabled", "digest_after_minutes", "digest_kinds"]

    def has_add_permission(self, request) -> bool:
        # One row: the policy (NotificationPolicy.current reads the first).
        return super().has_add_permission(request) and not NotificationPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["user", "email_digest"]
    list_filter = ["email_digest"]
    raw_id_fields = ["user"]
    search_fields = ["user__username", "user__family_name", "user__given_name"]
