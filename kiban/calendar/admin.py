"""Django admin for the calendar: the working hours policy (meeting-time finder) for IT administrators, and
a read-only look at events when a person asks for help. Changes are audited by the admin site."""

from __future__ import annotations

from django.contrib import admin

from kiban.accounts.admin import ItAdminPermissions
from kiban.calendar.models import CalendarPolicy, Event


@admin.register(CalendarPolicy)
class CalendarPolicyAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["__str__", "work_start", "work_end"]

    def has_add_permission(self, request) -> bool:
        # One row: the finder reads the first one.
        return super().has_add_permission(request) and not CalendarPolicy.objects.exists()


@admin.register(Event)
class EventAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["title", "organizer", "start", "end", "visibility", "rrule"]
    list_filter = ["visibility", "all_day"]
    search_fields = ["title", "organizer__username", "uid"]
    raw_id_fields = ["organizer"]
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
