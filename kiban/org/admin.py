"""Django admin for the organisation: departments (as a tree), memberships, reshuffles.

Adds, changes and deletions are audited by the admin site itself (kiban.core.adminsite); cancelling a
reshuffle goes through `do_cancel_reshuffle`, which records its own entry.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kiban.accounts.admin import ItAdminPermissions
from kiban.org.models import Department, Membership, Reshuffle
from kiban.org.reshuffle import do_cancel_reshuffle


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["staff"]
    fields = ["staff", "title", "is_primary", "is_head", "rank"]


@admin.register(Department)
class DepartmentAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["code", "tree_name", "parent", "order", "is_active"]
    list_display_links = ["code", "tree_name"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_kana"]
    list_editable = ["order"]
    # Codes are hierarchical in HR systems (100000 総務部, 100100 人事課), so code order reads as the tree.
    ordering = ["code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]
    list_per_page = 200

    @admin.display(description=_("所属名"), ordering="name")
    def tree_name(self, obj: Department) -> str:
        return "\u3000" * self._depth(obj) + obj.name

    def _depth(self, obj: Department) -> int:
        parents = getattr(self, "_parents", None)
        if parents is None or obj.pk not in parents:
            parents = self._parents = dict(Department.objects.values_list("id", "parent_id"))
        depth, current = 0, parents.get(obj.pk)
        while current is not None and depth < 20:
            depth, current = depth + 1, parents.get(current)
        return depth

    def changelist_view(self, request, extra_context=None):
        self._parents = None  # fresh for each page
        return super().changelist_view(request, extra_context)


@admin.register(Membership)
class MembershipAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["staff", "department", "title", "is_primary", "is_head", "rank"]
    list_filter = ["is_primary", "is_head"]
    search_fields = [
        "staff__username",
        "staff__family_name",
        "staff__family_name_kana",
        "department__name",
        "department__code",
    ]
    autocomplete_fields = ["staff", "department"]
    list_select_related = ["staff", "department"]
    ordering = ["department__code", "rank", "staff__sort_key"]


@admin.register(Reshuffle)
class ReshuffleAdmin(ItAdminPermissions, admin.ModelAdmin):
    """Reshuffles are created by `kiban import-staff --effective`; here they are read and cancelled."""

    list_display = ["effective_date", "source_name", "status", "full", "created_at", "applied_at"]
    list_filter = ["status"]
    date_hierarchy = "effective_date"
    readonly_fields = [
        "effective_date", "status", "source_name", "full", "summary", "error", "created_by", "created_at",
        "applied_at", "cancelled_by",
    ]  # fmt: skip
    exclude = ["payload"]
    actions = ["cancel_reshuffles"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was (or would have been) applied is kept

    @admin.action(description=_("選択した予約中の人事異動を取り消す"))
    def cancel_reshuffles(self, request, queryset) -> None:
        cancelled = sum(
            do_cancel_reshuffle(reshuffle, actor=request.user, request=request)
            for reshuffle in queryset.filter(status=Reshuffle.Status.PENDING)
        )
        self.message_user(
            request,
            ngettext(
                "%(n)d 件の人事異動を取り消しました。", "%(n)d 件の人事異動を取り消しました。", cancelled
            )
            % {"n": cancelled},
            messages.SUCCESS if cancelled else messages.WARNING,
        )
