"""Presence (在席), who watches whose presence, and phone memos (電話メモ).

`Presence` is one row per person, created when first needed: the status they set by hand (blank when none,
or when it has expired) and the last state published to watchers (`published`, the JSON of `PresenceOut`),
so the minute job publishes a derived change (a meeting starting, 退庁) once. The derived status itself is
never stored: it is computed at read time from the calendar and the realtime bookkeeping (`queries.py`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    AVAILABLE = "available", _("在席")
    MEETING = "meeting", _("会議中")
    OUT = "out", _("外出")
    TRIP = "trip", _("出張")
    LEAVE = "leave", _("休暇")
    REMOTE = "remote", _("テレワーク")
    GONE = "gone", _("退庁")


class Source(models.TextChoices):
    MANUAL = "manual", _("手動")
    CALENDAR = "calendar", _("予定表")
    AUTO = "auto", _("自動")


class Presence(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # The status set by hand; blank: none. It holds while `expires_at` is in the future.
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, blank=True)
    destination = models.CharField(_("行先"), max_length=100, blank=True)
    until = models.DateTimeField(_("戻り予定"), null=True, blank=True)
    note = models.CharField(_("備考"), max_length=200, blank=True)
    # `until`, or the end of the day when no return time was given: a status left on overnight ends.
    expires_at = models.DateTimeField(null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    published = models.TextField(blank=True)

    class Meta:
        verbose_name = _("在席")
        verbose_name_plural = _("在席")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.status or '-'}"


class Watch(models.Model):
    """Someone has a page open that shows this person's presence (the board, a profile, a chat member
    list), until `expires_at`: they receive the person's `presence.changed` events. Renewed by the page's
    reads of `GET /api/v1/presence` (every few minutes while open)."""

    watcher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["watcher", "user"], name="presence_watch_unique")]
        indexes = [models.Index(fields=["user", "expires_at"], name="presence_watch_user")]

    def __str__(self) -> str:
        return f"{self.watcher_id} → {self.user_id}"


class PhoneMemo(models.Model):
    class Action(models.TextChoices):
        CALL_BACK = "call_back", _("折り返し電話をお願いします")
        WILL_CALL_AGAIN = "will_call_again", _("またかけます")
        FYI = "fyi", _("電話がありました")

    to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    caller_name = models.CharField(_("相手の氏名"), max_length=100)
    caller_org = models.CharField(_("相手の所属"), max_length=100, blank=True)
    caller_phone = models.CharField(_("電話番号"), max_length=30, blank=True)
    message = models.TextField(_("用件"), max_length=1000, blank=True)
    action = models.CharField(_("対応"), max_length=16, choices=Action.choices, default=Action.CALL_BACK)
    called_at = models.DateTimeField(_("受付日時"), default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    chat_message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("電話メモ")
        verbose_name_plural = _("電話メモ")
        indexes = [
            models.Index(fields=["to", "done_at", "created_at"], name="phone_memo_inbox"),
            models.Index(fields=["taken_by", "created_at"], name="phone_memo_taken"),
        ]

    def __str__(self) -> str:
        return f"{self.caller_name} → {self.to_id}"
