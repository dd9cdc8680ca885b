"""REST API of online meetings (CONTRACT.md: `POST /api/v1/meetings` → 201 `{"id", "url"}`; join page
`/meet/{id}`), and what the room page calls: enter, leave, heartbeat, mute/hand flags, the meeting's chat,
signals when the socket is blocked, guest links and the lobby, attendance for the organiser."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from kiban.core import paging
from kiban.meetings import actions, guests, queries, signalling
from kiban.meetings.access import access_meeting
from kiban.meetings.models import Guest, Meeting
from kiban.meetings.schemas import (
    ChatLineOut,
    JitsiEntryOut,
    JoinAnswerOut,
    LobbyOut,
    MeetingOut,
    MeetingStatusOut,
    ParticipantOut,
)
from kiban.meetings.serializers import (
    chat_line_out,
    join_answer,
    meeting_out,
    participant_out,
    waiting_guest_out,
    when,
)

router = Router(tags=["meetings"])


class MeetingIn(Schema):
    title: str | None = Field(None, description="件名 (required unless `conversation` or `event` is given)")
    conversation: int | None = Field(
        None, description="A conversation you are a member of: its members are invited"
    )
    event: int | None = Field(None, description="An event you organise: its attendees are invited")
    invitees: list[str] = Field(
        default_factory=list, description="Usernames to invite (a room standing alone)"
    )
    provider: str | None = Field(
        None, description="builtin or jitsi (default: jitsi above the mesh limit, if set up)"
    )
    allow_guests: bool = False


@router.post("/meetings", response={201: MeetingOut}, summary="Create an online meeting room")
def create_meeting(request, payload: MeetingIn):
    meeting = actions.do_create_meeting(request.auth, payload.dict())
    return Status(201, meeting_out(meeting))


@router.get(
    "/meetings/{meeting_id}",
    response=MeetingStatusOut,
    summary="A room you are invited to, and whether people are in it",
)
def get_meeting(request, meeting_id: int):
    meeting = access_meeting(request.auth, meeting_id)
    return meeting_out(meeting, live_count=queries.live_counts([meeting.pk])[meeting.pk])


class JoinIn(Schema):
    audio_only: bool = Field(False, description="Enter without video")


@router.post(
    "/meetings/{meeting_id}/join",
    response=JoinAnswerOut | JitsiEntryOut,
    summary="Enter the room: your peer id, ICE servers, who is there",
)
def join(request, meeting_id: int, payload: JoinIn):
    meeting = access_meeting(request.auth, meeting_id)
    if meeting.provider == Meeting.Provider.JITSI:
        return {"provider": meeting.provider, "url": actions.do_enter_jitsi(meeting, request.auth)}
    try:
        participant = actions.do_join(meeting, user=request.auth, audio_only=payload.audio_only)
    except actions.RoomFull:
        raise HttpError(409, _("会議室が満員です（%(max)d人まで）。") % {"max": actions.MESH_MAX}) from None
    return join_answer(meeting, participant, f"s{request.auth.pk}")


class PeerIn(Schema):
    peer: str = Field(max_length=32)


@router.post("/meetings/{meeting_id}/heartbeat", summary="The page is still in the room (every 15 s)")
def heartbeat(request, meeting_id: int, payload: PeerIn):
    participant = actions.access_participant(request.auth, meeting_id, payload.peer)
    return {"present": actions.do_heartbeat(participant)}


@router.post("/meetings/{meeting_id}/leave", response={204: None}, summary="Leave the room")
def leave(request, meeting_id: int, payload: PeerIn):
    participant = actions.access_participant(request.auth, meeting_id, payload.peer)
    actions.do_leave(participant)
    return Status(204, None)


class FlagsIn(Schema):
    audio_muted: bool | None = None
    video_muted: bool | None = None
    hand_raised: bool | None = None
    sharing_screen: bool | None = None


@router.patch(
    "/meetings/{meeting_id}/participants/{peer}",
    response=ParticipantOut,
    summary="Mute indicators, raised hand, screen share",
)
def update_participant(request, meeting_id: int, peer: str, payload: FlagsIn):
    participant = actions.access_participant(request.auth, meeting_id, peer)
    participant = actions.do_update_participant(participant, payload.dict(exclude_none=True))
    return participant_out(participant)


class SignalIn(Schema):
    sender: str = Field(max_length=32)
    target: str = Field(max_length=32)
    data: dict


@router.post("/meetings/{meeting_id}/signal", response={204: None}, summary="A signal to a peer (no socket)")
def signal(request, meeting_id: int, payload: SignalIn):
    signalling.relay(
        meeting_id=meeting_id,
        sender=payload.sender,
        target=payload.target,
        data=payload.data,
        user_id=request.auth.pk,
    )
    return Status(204, None)


class ChatIn(Schema):
    peer: str = Field(max_length=32)
    body: str = Field(max_length=4000)


@router.post(
    "/meetings/{meeting_id}/chat", response={201: ChatLineOut}, summary="Write in the meeting's chat"
)
def post_chat(request, meeting_id: int, payload: ChatIn):
    participant = actions.access_participant(request.auth, meeting_id, payload.peer)
    line = actions.do_post_chat_line(participant, payload.body)
    return Status(201, chat_line_out(line, participant.name))


@router.get("/meetings/{meeting_id}/attendance", summary="Who was in the room, when, how long (organiser)")
def attendance(request, meeting_id: int, page: Query[paging.PageQuery]):
    meeting = access_meeting(request.auth, meeting_id)
    if meeting.organizer_id != request.auth.pk:
        raise Http404
    return paging.page(
        queries.attendance(meeting),
        page,
        lambda row: {
            "name": row.name,
            "guest": row.guest,
            "joined_at": when(row.joined_at),
            "left_at": when(row.left_at),
            "seconds": row.seconds,
        },
    )


class GuestLinkIn(Schema):
    hours: int = Field(guests.DEFAULT_HOURS, description="Valid for this many hours (1–720)")


@router.post(
    "/meetings/{meeting_id}/guest-links", response={201: dict}, summary="An expiring link for guests"
)
def create_guest_link(request, meeting_id: int, payload: GuestLinkIn):
    meeting = access_meeting(request.auth, meeting_id)
    link, token = guests.do_create_guest_link(request.auth, meeting, payload.hours)
    return Status(
        201, {"url": f"{actions.settings.BASE_URL}/meet/g/{token}", "expires_at": when(link.expires_at)}
    )


@router.get("/meetings/{meeting_id}/lobby", response=LobbyOut, summary="Guests waiting to be admitted")
def lobby(request, meeting_id: int):
    meeting = access_meeting(request.auth, meeting_id)
    if not guests.can_admit(request.auth, meeting):
        raise PermissionDenied(_("入室を許可できるのは主催者と入室中の職員です。"))
    waiting = Guest.objects.filter(meeting=meeting, status=Guest.Status.WAITING).order_by("created_at")
    return LobbyOut(waiting=[waiting_guest_out(g) for g in waiting])


class DecisionIn(Schema):
    admit: bool


@router.post("/meetings/{meeting_id}/lobby/{guest_id}", summary="Admit or refuse a waiting guest")
def decide(request, meeting_id: int, guest_id: int, payload: DecisionIn):
    meeting = access_meeting(request.auth, meeting_id)
    try:
        guest = guests.do_decide(request.auth, meeting, guest_id, payload.admit)
    except guests.Decided as exc:
        raise HttpError(409, _("この方の入室はすでに決まっています。")) from exc
    return {"id": guest.pk, "status": guest.status}
