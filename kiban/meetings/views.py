"""Pages of online meetings: the room (`/meet/{id}`), 「今すぐ会議」 from a chat, attendance for the organiser,
and the guest link (`/meet/g/{token}`) with what a guest's page calls (guests have no account: their session
carries who they are, see kiban.meetings.guests)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kiban.core.schemas import dump
from kiban.meetings import actions, guests, queries, signalling
from kiban.meetings.access import access_meeting
from kiban.meetings.models import Guest, GuestInbox, Meeting, Participant
from kiban.meetings.serializers import chat_line_out, join_answer

# The room page may use the camera, the microphone and screen capture; nothing else changes.
ROOM_PERMISSIONS = "camera=(self), microphone=(self), display-capture=(self), geolocation=()"


def _room_response(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Permissions-Policy"] = ROOM_PERMISSIONS
    response["Cache-Control"] = "no-store"
    return response


@login_required
def room(request, meeting_id: int):
    meeting = access_meeting(request.user, meeting_id)
    if meeting.provider == Meeting.Provider.JITSI:
        response = redirect(actions.do_enter_jitsi(meeting, request.user))
        response["Cache-Control"] = "no-store"
        return response
    context = {
        "meeting": meeting,
        "is_organizer": meeting.organizer_id == request.user.pk,
        "relay_only": request.GET.get("relay") == "1",
        "base": f"/api/v1/meetings/{meeting.pk}",
        "guest": False,
    }
    return _room_response(request, "meetings/room.html", context)


@login_required
@require_POST
def meet_now(request, conversation_id: int):
    meeting = actions.do_meet_now(request.user, conversation_id)
    return redirect(meeting.url)


@login_required
def attendance_page(request, meeting_id: int):
    meeting = access_meeting(request.user, meeting_id)
    if meeting.organizer_id != request.user.pk:
        raise Http404
    rows = queries.attendance(meeting)
    return render(request, "meetings/attendance.html", {"meeting": meeting, "rows": rows})


# --- Guests -----------------------------------------------------------------------------------------------


def _expired(request) -> HttpResponse:
    return render(request, "meetings/guest_expired.html", status=410)


def guest_entry(request, token: str):
    """The guest link: a name form, then the lobby, then the room (one page, driven by its script)."""
    try:
        link = guests.find_link(token)
    except guests.LinkExpired:
        return _expired(request)
    guest = guests.guest_of(request, link)
    error = ""
    if request.method == "POST" and guest is None:
        try:
            guest = guests.do_knock(link, request.POST.get("name", ""), request.POST.get("organization", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            guests.remember(request, guest)
            return redirect(request.path)
    if guest is None:
        return render(
            request,
            "meetings/guest_knock.html",
            {"meeting": link.meeting, "error": error},
            status=400 if error else 200,
        )
    context = {
        "meeting": link.meeting,
        "guest": guest,
        "base": f"/meet/g/{token}",
        "relay_only": request.GET.get("relay") == "1",
    }
    return _room_response(request, "meetings/room.html", context)


def _guest(request, token: str) -> tuple[Guest, object]:
    link = guests.find_link(token)
    guest = guests.guest_of(request, link)
    if guest is None:
        raise Http404
    return guest, link


def _body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise ValidationError({"body": [_("JSONで送ってください。")]}) from None
    if not isinstance(data, dict):
        raise ValidationError({"body": [_("JSONオブジェクトで送ってください。")]})
    return data


def _peer_of(guest: Guest, peer) -> object:
    found = (
        Participant.objects.select_related("meeting")
        .filter(guest=guest, peer=str(peer or ""), left_at__isnull=True)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@require_http_methods(["GET", "POST"])
def guest_call(request, token: str, action: str):
    """The guest page's calls: status, join, inbox (also its heartbeat), signal, flags, chat, leave.
    Same-origin requests with the CSRF token, like every form of the site."""
    try:
        guest, link = _guest(request, token)
        return _guest_action(request, guest, link, action)
    except guests.LinkExpired:
        return _error(410, _("このリンクは有効期限が切れています。"))
    except Http404:
        return _error(404, "Not found.")
    except ValidationError as exc:
        detail = (
            "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
            if hasattr(exc, "message_dict")
            else " ".join(exc.messages)
        )
        return _error(400, detail)


def _guest_action(request, guest: Guest, link, action: str) -> JsonResponse:
    meeting = link.meeting
    if action == "status":
        return JsonResponse({"status": guest.status})
    if guest.status != Guest.Status.ADMITTED:
        return _error(403, _("入室の許可を待っています。"))
    if request.method == "GET" and action == "inbox":
        participant = _peer_of(guest, request.GET.get("peer"))
        actions.do_heartbeat(participant)
        try:
            after = int(request.GET.get("after", "0"))
        except ValueError:
            raise ValidationError({"after": [_("整数で指定してください。")]}) from None
        rows = guests.inbox(guest, after)
        return JsonResponse({"events": [actions.inbox_payload(r) for r in rows]})
    if request.method != "POST":
        return _error(405, "Method not allowed.")
    data = _body(request)
    if action == "join":
        # Read before entering: what others send once they see the new peer comes after this id.
        inbox_after = guest_last_inbox_id(guest)
        try:
            participant = actions.do_join(meeting, guest=guest, audio_only=bool(data.get("audio_only")))
        except actions.RoomFull:
            return _error(409, _("会議室が満員です（%(max)d人まで）。") % {"max": actions.MESH_MAX})
        # The page reads its inbox from here on (the roster it was just given is newer than what is there).
        answer = join_answer(meeting, participant, f"g{guest.pk}", inbox_after=inbox_after)
        return JsonResponse(dump(answer))
    participant = _peer_of(guest, data.get("peer") or data.get("sender"))
    if action == "signal":
        signalling.relay(
            meeting_id=meeting.pk,
            sender=str(data.get("sender") or ""),
            target=str(data.get("target") or ""),
            data=data.get("data") if isinstance(data.get("data"), dict) else {},
            guest=guest,
        )
        return JsonResponse({}, status=202)
    if action == "flags":
        flags = {k: v for k, v in data.items() if k != "peer"}
        actions.do_update_participant(participant, flags)
        return JsonResponse({})
    if action == "chat":
        line = actions.do_post_chat_line(participant, str(data.get("body") or ""))
        return JsonResponse(dump(chat_line_out(line, participant.name)), status=201)
    if action == "leave":
        actions.do_leave(participant)
        return JsonResponse({}, status=200)
    raise Http404


def guest_last_inbox_id(guest: Guest) -> int:
    return GuestInbox.objects.filter(guest=guest).order_by("-id").values_list("id", flat=True).first() or 0
