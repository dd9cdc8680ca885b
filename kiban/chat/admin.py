"""Django admin for IT administrators: teams (and their department sync), conversations' metadata and
webhooks. Message bodies are deliberately not shown here: reading people's chats is not an admin task.

Adds, changes and deletions are audited by the admin site (kiban.core.adminsite); the sync and the
revocation go through the actions, which record their own entries."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kiban.accounts.admin import ItAdminPermissions
from kiban.chat.actions import do_sync_department_team
from kiban.chat.models import Conversation, Team, TeamMember, Webhook
from kiban.core import audit


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    autocomplete_fields = ["staff"]
    fields = ["staff", "role", "from_department", "joined_at"]
    readonly_fields = ["from_department", "joined_at"]


@admin.register(Team)
class TeamAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["name", "department", "archived_at", "created_at"]
    search_fields = ["name", "department__name", "department__code"]
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [TeamMemberInline]
    actions = ["sync_with_department"]

    @admin.action(description=_("所属の職員とメンバーを同期する"))
    def sync_with_department(self, request, queryset):
        synced = 0
        for team in queryset.select_related("department"):
            if team.department is not None:
                do_sync_department_team(team.department, actor=request.user)
                synced += 1
        self.message_user(
            request, ngettext("%(n)d件のチームを同期しました。", "%(n)d件のチームを同期しました。", synced) % {"n": synced},
            messages.SUCCESS,
        )  # fmt: skip


@admin.register(Conversation)
class ConversationAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["__str__", "kind", "visibility", "team", "last_seq", "last_message_at", "archived_at"]
    list_filter = ["kind", "visibility"]
    search_fields = ["name", "team__name"]
    list_select_related = ["team"]
    fields = [
        "kind",
        "name",
        "topic",
        "team",
        "visibility",
        "last_seq",
        "created_by",
        "created_at",
        "archived_at",
    ]
    readonly_fields = ["kind", "team", "visibility", "last_seq", "created_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # conversations are made by people, through the actions


@admin.register(Webhook)
class WebhookAdmin(ItAdminPermissions, admin.ModelAdmin):
    list_display = ["bot_name", "conversation", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["conversation", "created_by"]
    fields = ["bot_name", "conversation", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # created by a channel owner, who is shown the token once

    @admin.action(description=_("Webhookを無効にする"))
    def revoke(self, request, queryset):
        now = timezone.now()
        for hook in queryset.filter(revoked_at__isnull=True):
            hook.revoked_at = now
            hook.save(update_fields=["revoked_at"])
            audit.record("chat.webhook.revoke", actor=request.user, target=hook, request=request)
