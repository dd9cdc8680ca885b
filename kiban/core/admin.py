"""Read-only Django admin for the audit log: IT administrators read it, nobody edits it (the database
refuses UPDATE and DELETE anyway, migration core 0002)."""

from __future__ import annotations

from django.contrib import admin

from kiban.core.models import AuditEntry, ClosedDay
from kiban.core.permissions import is_it_admin


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_username", "action", "target_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_username", "action", "target_repr", "ip"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    show_full_result_count = False  # a COUNT(*) over years of entries on every page is slow

    def get_actions(self, request):
        return {}

    def has_module_permission(self, request) -> bool:
        return is_it_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_it_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    """閉庁日: IT administrators keep the list (年末年始 and the prefecture's own days)."""

    list_display = ["name", "month", "day", "year"]
    ordering = ["year", "month", "day"]

    def has_module_permission(self, request) -> bool:
        return is_it_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_it_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return is_it_admin(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_it_admin(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_it_admin(request.user)
