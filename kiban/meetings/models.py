"""Online meetings (Web会議): rooms, who is invited, who was in them (attendance), guests from outside.

A room (`Meeting`) belongs to an event (`calendar.Event`), a chat conversation, or stands alone with its own
invitees. Who may join is decided when they knock (`kiban.meetings.access`), from the event's attendees or the
conversation's members as they are then, so an invitation changed in the calendar changes the room at once.

Every time someone enters the room a `Participant` row is written: one per device and entry (a person on a PC
and a phone is two peers). It is the attendance record (joined, left, how long) and, while `left_at` is null
and its heartbeat is recent, a peer of the WebRTC mesh: signals are addressed to its `peer` id.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A peer whose page has not said it is alive for this long has gone (a crashed browser, a phone that lost
# its network): the room forgets it. Pages send a heartbeat every HEARTBEAT seconds.
HEARTBEAT = dt.timedelta(seconds=15)
STALE_AFTER = dt.timedelta(seconds=45)


class Meeting(models.Model):
    class Provider(models.TextChoices):
        BUILTIN = "builtin", _("内蔵（ブラウザ間）")
        JITSI = "jitsi", _("Jitsi（大人数）")

    title = models.CharField(_("件名"), max_length=200)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("主催者"), on_delete=models.PROTECT, related_name="+"
    )
    # One room per event. The room outlives a deleted event (attendance is kept), reachable by the
    # organiser and explicit invitees only.
    event = models.OneToOneField(
        "calendar.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        "chat.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(_("方式"), max_length=16, choices=Provider.choices, default=Provider.BUILTIN)
    # Jitsi room name: random, so knowing a meeting id is not enough to walk into its Jitsi room.
    room_name = models.CharField(max_length=64, unique=True)
    allow_guests = models.BooleanField(_("外部の参加者を許可"), default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("Web会議")
        verbose_name_plural = _("Web会議")

    def __str__(self) -> str:
        return self.title

    @property
    def url(self) -> str:
        return f"/meet/{self.pk}"


class Invitee(models.Model):
    """Someone invited by name to a room that stands alone (POST /api/v1/meetings with `invitees`)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitees")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "staff"], name="meeting_invitee_unique")]

    def __str__(self) -> str:
        return f"{self.staff_id} → {self.meeting_id}"


class GuestLink(models.Model):
    """An expiring link for people from outside (another municipality). Only its SHA-256 is stored."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guest_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("有効期限"))
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ゲスト用リンク")
        verbose_name_plural = _("ゲスト用リンク")

    def __str__(self) -> str:
        return f"guest link of {self.meeting_id}"

    def usable(self, now: dt.datetime | None = None) -> bool:
        return self.revoked_at is None and (now or timezone.now()) < self.expires_at


class Guest(models.Model):
    """A person from outside who knocked through a guest link; waits in the lobby until admitted. Their
    browser is known by its (anonymous) session, which holds this row's id."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("入室待ち")
        ADMITTED = "admitted", _("入室許可")
        REFUSED = "refused", _("入室拒否")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    link = models.ForeignKey(GuestLink, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField(_("氏名"), max_length=100)
    organization = models.CharField(_("所属"), max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ゲスト")
        verbose_name_plural = _("ゲスト")
        indexes = [models.Index(fields=["meeting", "status"], name="meeting_guest_status")]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """One entry of one device into a room: the attendance record and, while present, a mesh peer."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    guest = models.ForeignKey(Guest, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The name shown to the others, kept as it was at the meeting (attendance lists stay readable).
    name = models.CharField(max_length=200)
    peer = models.CharField(max_length=32, unique=True)
    joined_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # Whether this peer sends and receives video (the first VIDEO_LIMIT peers); the others are audio-only.
    video = models.BooleanField(default=True)
    audio_muted = models.BooleanField(default=False)
    video_muted = models.BooleanField(default=False)
    hand_raised = models.BooleanField(default=False)
    sharing_screen = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("参加記録")
        verbose_name_plural = _("参加記録")
        constraints = [
            models.CheckConstraint(
                condition=Q(staff__isnull=False, guest__isnull=True)
                | Q(staff__isnull=True, guest__isnull=False),
                name="participant_staff_xor_guest",
            )
        ]
        indexes = [models.Index(fields=["meeting", "left_at"], name="meeting_participant_present")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.meeting_id}"

    @property
    def duration(self) -> dt.timedelta:
        return (self.left_at or self.last_seen_at) - self.joined_at


class GuestInbox(models.Model):
    """What a guest's page has to be told (signals, the roster, chat): guests have no account and so no
    WebSocket; their page fetches these rows (kiban.meetings.guests)."""

    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="+")
    payload = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["guest", "id"], name="meeting_guest_inbox")]

    def __str__(self) -> str:
        return f"inbox {self.pk} of guest {self.guest_id}"


class ChatLine(models.Model):
    """A line of the meeting's own chat (beside the video): plain text, shown as text."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="chat_lines")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    body = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["meeting", "id"], name="meeting_chat_order")]

    def __str__(self) -> str:
        return self.body[:40]
