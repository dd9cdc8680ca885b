"""Writes of online meetings: rooms, entering and leaving, what a peer shows the others, the meeting's chat.

Who may enter is `kiban.meetings.access`; guests from outside are `kiban.meetings.guests`; WebRTC signals
`kiban.meetings.signalling`. Every `do_*` runs in `transaction.atomic()`; events and notifications leave
after commit (`kiban.realtime.publish`, `kiban.notifications.actions.notify`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.calendar import online as calendar_online
from kiban.calendar.actions import access_event
from kiban.calendar.models import Event
from kiban.chat.actions import access_conversation, do_post_message
from kiban.chat.models import Conversation
from kiban.chat.queries import member_ids
from kiban.core import audit
from kiban.meetings import jitsi
from kiban.meetings.access import access_meeting, invited_ids
from kiban.meetings.events import MeetingChat, MeetingLobby, MeetingRoster, MeetingState
from kiban.meetings.models import (
    STALE_AFTER,
    ChatLine,
    Guest,
    GuestInbox,
    Invitee,
    Meeting,
    Participant,
)
from kiban.meetings.queries import present
from kiban.meetings.serializers import chat_line_out, participant_out, waiting_guest_out
from kiban.notifications.actions import notify
from kiban.realtime import publish

__all__ = ["access_meeting"]

# Peers of one built-in room at most (video for the first KIBAN_MEETING_VIDEO_LIMIT, audio for the rest): a
# browser mesh sends its audio to every other peer, and past this it stops being usable.
MESH_MAX = 12
MAX_INVITEES = 500
CHAT_MAX = 1000
# Starting a meeting tells the invitees; a channel of hundreds is told by the chat message instead.
NOTIFY_START_MAX = 50


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


class RoomFull(Exception):
    """The built-in room has MESH_MAX peers already (the API answers 409)."""


# --- Reads the actions share ------------------------------------------------------------------------------


def access_participant(user, meeting_id: int, peer: str) -> Participant:
    """The caller's own peer in a room (still there); anything else is 404."""
    found = (
        Participant.objects.select_related("meeting")
        .filter(meeting_id=meeting_id, peer=peer, staff_id=user.pk, left_at__isnull=True)
        .first()
    )
    if found is None:
        raise Http404
    return found


def display_name(user) -> str:
    return user.get_full_name()


# --- Creating rooms ---------------------------------------------------------------------------------------


def _choose_provider(requested: str | None, invited_count: int) -> str:
    if requested not in (None, "", "auto", *Meeting.Provider.values):
        raise field_error("provider", _("builtin か jitsi を指定してください。"))
    if requested == Meeting.Provider.JITSI and not jitsi.available():
        raise field_error("provider", _("大人数用の会議サーバーは設定されていません。"))
    if requested in Meeting.Provider.values:
        return requested
    # Above the mesh's video limit a large meeting goes to Jitsi when there is one.
    if jitsi.available() and invited_count > settings.KIBAN_MEETING_VIDEO_LIMIT:
        return Meeting.Provider.JITSI
    return Meeting.Provider.BUILTIN


def _clean_title(title: str | None, fallback: str = "") -> str:
    title = (title or "").strip() or fallback
    if not title:
        raise field_error("title", _("件名を入力してください。"))
    if len(title) > 200:
        raise field_error("title", _("件名は200文字以内にしてください。"))
    return title


def _new_meeting(organizer, title: str, provider: str, **links) -> Meeting:
    return Meeting.objects.create(
        title=title, organizer=organizer, provider=provider, room_name=secrets.token_hex(12), **links
    )


def create_for_event(event: Event, actor, *, provider: str | None = None) -> Meeting:
    """The event's room (made once): the calendar's online-meeting provider calls this inside its own
    transaction when an event is saved with `online_meeting`. The event's attendees are its invitees."""
    existing = Meeting.objects.filter(event=event).first()
    if existing is not None:
        return existing
    count = 1 + event.attendees.count()
    meeting = _new_meeting(event.organizer, event.title, _choose_provider(provider, count), event=event)
    audit.record("meetings.create", actor=actor, target=meeting, event=event.pk)
    return meeting


def do_create_meeting(user, data: dict) -> Meeting:
    """`POST /api/v1/meetings`: a room for an event the caller organises, for a conversation the caller is a
    member of, or standing alone with named `invitees`. An event that has a room already gets that one."""
    conversation_id = data.get("conversation")
    event_id = data.get("event")
    if conversation_id is not None and event_id is not None:
        raise field_error("event", _("予定とチャットの両方は指定できません。"))
    usernames = list(dict.fromkeys(data.get("invitees") or []))
    if len(usernames) > MAX_INVITEES:
        raise field_error("invitees", _("招待は%(max)d人までです。") % {"max": MAX_INVITEES})
    with transaction.atomic():
        if event_id is not None:
            event = access_event(user, event_id, write=True)
            event = Event.objects.select_for_update().get(pk=event.pk)
            meeting = create_for_event(event, user, provider=data.get("provider"))
            calendar_online.set_meeting_url(event, meeting.url)
            return meeting
        people = list(get_user_model().objects.filter(username__in=usernames, is_active=True))
        missing = sorted(set(usernames) - {p.username for p in people})
        if missing:
            raise field_error("invitees", _("該当する職員がいません: %(who)s") % {"who": ", ".join(missing)})
        if conversation_id is not None:
            conv = access_conversation(user, conversation_id)
            return _meet_in_conversation(user, conv, data.get("title"), data.get("provider"))
        title = _clean_title(data.get("title"))
        provider = _choose_provider(data.get("provider"), 1 + len(people))
        meeting = _new_meeting(user, title, provider, allow_guests=bool(data.get("allow_guests")))
        Invitee.objects.bulk_create([Invitee(meeting=meeting, staff=p) for p in people if p.pk != user.pk])
        audit.record("meetings.create", actor=user, target=meeting, invitees=len(people))
        notify(
            [p.pk for p in people],
            kind="meetings.invitation",
            title=_("Web会議への招待: %(title)s") % {"title": title},
            body=_("%(name)sさんから") % {"name": display_name(user)},
            url=meeting.url,
            actor=user,
        )
    return meeting


def _meet_in_conversation(user, conv: Conversation, title: str | None, provider: str | None) -> Meeting:
    members = member_ids(conv)
    name = conv.name or _("チャット")
    meeting = _new_meeting(
        user,
        _clean_title(title, _("%(name)s のWeb会議") % {"name": name}),
        _choose_provider(provider, len(members)),
        conversation=conv,
    )
    audit.record("meetings.create", actor=user, target=meeting, conversation=conv.pk)
    link = f"{settings.BASE_URL}{meeting.url}"
    do_post_message(user, conv, _("Web会議を始めました。参加する: %(link)s") % {"link": link})
    return meeting


def do_meet_now(user, conversation_id: int) -> Meeting:
    """The chat's 「今すぐ会議」: a room for the conversation's members, announced in the conversation."""
    with transaction.atomic():
        conv = access_conversation(user, conversation_id)
        return _meet_in_conversation(user, conv, None, None)


# --- Entering, being there, leaving -----------------------------------------------------------------------


def do_join(
    meeting: Meeting, *, user=None, guest: Guest | None = None, audio_only: bool = False
) -> Participant:
    """Enter a built-in room: a new peer. The first KIBAN_MEETING_VIDEO_LIMIT peers present get video, later
    ones audio only; a room with MESH_MAX peers refuses (RoomFull). The room row is locked while counting,
    so two people entering at once cannot both take the last video place."""
    if (user is None) == (guest is None):
        raise ValueError("a participant is a member of staff or a guest")
    with transaction.atomic():
        Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        here = list(present(meeting.pk))
        if len(here) >= MESH_MAX:
            raise RoomFull
        videos = sum(1 for p in here if p.video)
        now = timezone.now()
        participant = Participant.objects.create(
            meeting=meeting,
            staff=user,
            guest=guest,
            name=display_name(user) if user is not None else guest.name,
            peer=secrets.token_hex(12),
            joined_at=now,
            last_seen_at=now,
            video=not audio_only and videos < settings.KIBAN_MEETING_VIDEO_LIMIT,
        )
        if user is not None:
            audit.record("meetings.join", actor=user, target=meeting, peer=participant.peer)
        if not here:
            _announce_start(meeting, participant)
        announce(meeting, [*here, participant])
    return participant


def do_enter_jitsi(meeting: Meeting, user) -> str:
    """Someone invited goes to the room on Jitsi: the entry is recorded (Kiban does not see the leaving) and
    they get the room's URL with a room token signed for them."""
    with transaction.atomic():
        now = timezone.now()
        Participant.objects.create(
            meeting=meeting,
            staff=user,
            name=display_name(user),
            peer=secrets.token_hex(12),
            joined_at=now,
            last_seen_at=now,
            left_at=now,
        )
        audit.record("meetings.join", actor=user, target=meeting, provider=meeting.provider)
    token = jitsi.room_token(
        meeting.room_name,
        user_id=f"s{user.pk}",
        name=display_name(user),
        email=user.email,
        moderator=meeting.organizer_id == user.pk,
    )
    return jitsi.join_url(meeting.room_name, token)


def _announce_start(meeting: Meeting, first: Participant) -> None:
    invited = invited_ids(meeting)
    if len(invited) > NOTIFY_START_MAX:
        return
    notify(
        invited,
        kind="meetings.started",
        title=_("Web会議が始まりました: %(title)s") % {"title": meeting.title},
        body=_("%(name)sさんが入室しました。") % {"name": first.name},
        url=meeting.url,
        actor=first.staff_id,
        group_key=f"meeting:{meeting.pk}",
    )


HEARTBEAT_WRITE_EVERY = dt.timedelta(seconds=5)


def do_heartbeat(participant: Participant) -> bool:
    """The page is alive. False when the peer was already counted as gone (the page must enter again).
    Writes at most every HEARTBEAT_WRITE_EVERY (a guest's page calls this with every inbox read)."""
    now = timezone.now()
    live = Participant.objects.filter(pk=participant.pk, left_at__isnull=True)
    if live.filter(last_seen_at__lt=now - HEARTBEAT_WRITE_EVERY).update(last_seen_at=now):
        return True
    return live.exists()


def do_leave(participant: Participant) -> None:
    with transaction.atomic():
        left = Participant.objects.filter(pk=participant.pk, left_at__isnull=True).update(
            left_at=timezone.now()
        )
        if left:
            announce(participant.meeting, list(present(participant.meeting_id)))


PARTICIPANT_FLAGS = ("audio_muted", "video_muted", "hand_raised", "sharing_screen")


def do_update_participant(participant: Participant, flags: dict) -> Participant:
    """Mute indicators, a raised hand, screen sharing: shown to the others at once."""
    changes = {
        name: bool(value) for name, value in flags.items() if name in PARTICIPANT_FLAGS and value is not None
    }
    unknown = set(flags) - set(PARTICIPANT_FLAGS)
    if unknown:
        raise field_error(sorted(unknown)[0], _("不明な項目です。"))
    with transaction.atomic():
        if changes:
            Participant.objects.filter(pk=participant.pk).update(last_seen_at=timezone.now(), **changes)
            for name, value in changes.items():
                setattr(participant, name, value)
            announce(participant.meeting, list(present(participant.meeting_id)), entered_or_left=False)
    return participant


def do_post_chat_line(participant: Participant, body: str) -> ChatLine:
    body = (body or "").strip()
    if not body:
        raise field_error("body", _("メッセージを入力してください。"))
    if len(body) > CHAT_MAX:
        raise field_error("body", _("%(max)d文字以内で入力してください。") % {"max": CHAT_MAX})
    with transaction.atomic():
        line = ChatLine.objects.create(meeting_id=participant.meeting_id, participant=participant, body=body)
        here = list(present(participant.meeting_id))
        deliver(
            participant.meeting_id,
            here,
            MeetingChat(meeting=participant.meeting_id, line=chat_line_out(line, participant.name)),
        )
    return line


def sweep_stale(now=None) -> int:
    """Peers not heard from within STALE_AFTER have gone (a closed laptop, a crashed browser): mark them left
    at their last sign of life and tell the rooms. Returns how many."""
    now = now or timezone.now()
    stale = list(
        Participant.objects.filter(left_at__isnull=True, last_seen_at__lt=now - STALE_AFTER).select_related(
            "meeting"
        )
    )
    rooms = {}
    for p in stale:
        with transaction.atomic():
            if Participant.objects.filter(pk=p.pk, left_at__isnull=True).update(left_at=p.last_seen_at):
                rooms[p.meeting_id] = p.meeting
    for meeting in rooms.values():
        with transaction.atomic():
            announce(meeting, list(present(meeting.pk, now)))
    return len(stale)


# --- Telling people ---------------------------------------------------------------------------------------


def deliver(meeting_id: int, here: list[Participant], event) -> None:
    """An event for the peers in the room: staff through their sockets, guests through their inbox."""
    staff = [p.staff_id for p in here if p.staff_id is not None]
    if staff:
        publish(staff, event)
    guests = {p.guest_id for p in here if p.guest_id is not None}
    if guests:
        payload = event.model_dump_json()
        GuestInbox.objects.bulk_create([GuestInbox(guest_id=g, payload=payload) for g in sorted(guests)])


def announce(meeting: Meeting, here: list[Participant], *, entered_or_left: bool = True) -> None:
    """After a change in the room: the roster to those in it and, when someone entered or left, 開催中 and
    how many to everyone invited."""
    roster = MeetingRoster(meeting=meeting.pk, participants=[participant_out(p) for p in here])
    deliver(meeting.pk, here, roster)
    if entered_or_left:
        state = MeetingState(meeting=meeting.pk, event=meeting.event_id, live=bool(here), count=len(here))
        publish(invited_ids(meeting), state)


def announce_lobby(meeting: Meeting) -> None:
    waiting = [
        waiting_guest_out(g)
        for g in Guest.objects.filter(meeting=meeting, status=Guest.Status.WAITING).order_by("created_at")
    ]
    here = [p.staff_id for p in present(meeting.pk) if p.staff_id is not None]
    publish({meeting.organizer_id, *here}, MeetingLobby(meeting=meeting.pk, waiting=waiting))


def inbox_payload(row: GuestInbox) -> dict:
    return {"id": row.pk, **json.loads(row.payload)}
