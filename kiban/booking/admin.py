"""Django admin for IT administrators: resources (rooms, cars, equipment), fleet managers (安全運転管理者),
licences; bookings and alcohol checks read-only (bookings change through the booking pages and API, which
keep the no-double-booking rule; alcohol checks are legal records and are never edited). Changes are
audited by the admin site (kiban.core.adminsite)."""

from __future__ import annotations

from django.contrib import admin

from kiban.accounts.admin import ItAdminPermissions
from kiban.booking.models import AlcoholCheck, Booking, DriverLicence, FleetManager, FleetPolicy, Resource


@admin.register(Resource)
class ResourceAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["name", "kind", "location", "capacity", "policy", "department", "active", "sort_order"]
    list_filter = ["kind", "policy", "active"]
    list_editable = ["sort_order", "active"]
    search_fields = ["name", "location", "plate_number"]
    autocomplete_fields = ["department"]
    list_select_related = ["department"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # retire (active = off) instead: bookings keep their resource


@admin.register(FleetManager)
class FleetManagerAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["staff", "department"]
    autocomplete_fields = ["staff", "department"]
    list_select_related = ["staff", "department"]


@admin.register(DriverLicence)
class DriverLicenceAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["staff", "expires_on", "number_last4", "checked_by", "checked_at"]
    search_fields = ["staff__username", "staff__family_name", "staff__given_name"]
    autocomplete_fields = ["staff", "checked_by"]
    list_select_related = ["staff", "checked_by"]


class ReadOnlyAdmin(ItAdminPermissions, admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ["resource", "start", "end", "booked_by", "status", "purpose"]
    list_filter = ["status", "resource__kind"]
    date_hierarchy = "start"
    search_fields = ["purpose", "resource__name", "booked_by__username"]
    list_select_related = ["resource", "booked_by"]


@admin.register(AlcoholCheck)
class AlcoholCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "kind", "driver", "checker", "method", "reading", "result"]
    list_filter = ["kind", "result", "method"]
    date_hierarchy = "checked_at"
    list_select_related = ["driver", "checker"]


@admin.register(FleetPolicy)
class FleetPolicyAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["__str__", "alcohol_check_retention_days", "pre_drive_check_valid_hours"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not FleetPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
