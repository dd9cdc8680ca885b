"""Django admin for IT administrators (is_staff): staff, tokens, sessions, sign-in policy and failures.

Every change made here is also written to the audit log (kiban.core.adminsite)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from kiban.accounts import actions
from kiban.accounts.devices import describe_user_agent
from kiban.accounts.models import ApiToken, DeviceSession, LoginFailure, SecurityPolicy, Staff
from kiban.core.permissions import is_it_admin


class ItAdminPermissions:
    """IT administrators (is_staff) manage identity without per-model permission grants."""

    def _it_admin(self, request) -> bool:
        return is_it_admin(request.user)

    def has_module_permission(self, request) -> bool:
        return self._it_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._it_admin(request)

    def has_add_permission(self, request) -> bool:
        return self._it_admin(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._it_admin(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._it_admin(request)


class StaffCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Staff
        fields = ("username",)


class StaffChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Staff
        fields = "__all__"


@admin.register(Staff)
class StaffAdmin(ItAdminPermissions, UserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = [
        "username",
        "full_name",
        "title",
        "extension",
        "email",
        "is_active",
        "is_staff",
        "totp_enabled",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", "totp_enabled"]
    search_fields = [
        "username",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "romaji",
        "email",
        "extension",
    ]
    ordering = ["sort_key", "username"]
    readonly_fields = ["last_login", "date_joined", "totp_enabled"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            _("氏名・連絡先"),
            {
                "fields": [
                    ("family_name", "given_name"),
                    ("family_name_kana", "given_name_kana"),
                    "romaji",
                    "title",
                    "email",
                    ("extension", "mobile"),
                ]
            },
        ),
        (_("状態"), {"fields": ["is_active", "retired_at", "totp_enabled", "last_login", "date_joined"]}),
        (_("権限"), {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "usable_password", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = ["groups", "user_permissions"]
    actions = ["reset_two_factor"]

    @admin.action(description=_("二要素認証を解除する（端末と回復コードを失くした人）"))
    def reset_two_factor(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        count = actions.do_reset_two_factor(request, request.user, queryset)
        self.message_user(request, _("%(n)d 人の二要素認証を解除し、ログアウトさせました。") % {"n": count})

    @admin.display(description=_("氏名"), ordering="sort_key")
    def full_name(self, obj: Staff) -> str:
        return obj.full_name

    def has_change_permission(self, request, obj=None) -> bool:
        # An IT administrator who is not a superuser must not take over a superuser's account (its password,
        # its two-factor): that would be a way to grant themselves superuser rights.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Only a superuser may hand out superuser rights or fine-grained permissions.
        if not request.user.is_superuser:
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields


@admin.register(ApiToken)
class ApiTokenAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["user", "label", "prefix", "created_at", "last_used_at", "last_used_ip"]
    search_fields = ["user__username", "label", "prefix"]
    readonly_fields = [
        "user",
        "label",
        "token_hash",
        "prefix",
        "created_at",
        "last_used_at",
        "last_used_ip",
        "user_agent",
    ]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False  # a token is created by its owner, who alone sees it once

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeviceSession)
class DeviceSessionAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["user", "device", "ip", "created_at", "last_seen_at"]
    search_fields = ["user__username", "ip", "user_agent"]
    readonly_fields = ["user", "user_agent", "ip", "created_at", "last_seen_at"]
    exclude = ["session_key"]
    list_select_related = ["user"]

    @admin.display(description=_("端末"))
    def device(self, obj: DeviceSession) -> str:
        return describe_user_agent(obj.user_agent)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    # Deleting a row here signs that browser out: its Django session goes too.
    def delete_model(self, request, obj) -> None:
        actions.end_device_sessions([obj])

    def delete_queryset(self, request, queryset) -> None:
        actions.end_device_sessions(queryset)


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = [
        "__str__",
        "account_max_failures",
        "account_window_minutes",
        "address_max_failures",
        "address_window_minutes",
    ]

    def has_add_permission(self, request) -> bool:
        return self._it_admin(request) and not SecurityPolicy.objects.exists()


@admin.register(LoginFailure)
class LoginFailureAdmin(ItAdminPermissions, admin.ModelAdmin):
    """Read-only; deleting an account's failures is how an administrator lifts a lock-out early."""

    list_display = ["at", "username", "ip", "channel"]
    list_filter = ["channel"]
    search_fields = ["username", "ip"]
    readonly_fields = ["username", "ip", "at", "channel"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
