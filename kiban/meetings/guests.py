"""People from outside (another municipality): an expiring guest link, a lobby, admission by staff.

The organiser makes a link (`do_create_guest_link`): a random token shown once, only its SHA-256 stored,
valid until `expires_at`. A guest who opens it gives a name and waits (`do_knock`); the organiser or a member
of staff in the room admits or refuses them (`do_decide`, a conditional update: two people deciding at once
cannot both win). An admitted guest enters the room as a peer like any other; guests have no account, so
their page sends by POST and reads what it is told from its inbox (`GuestInbox`) instead of a WebSocket.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.core import audit
from kiban.meetings.actions import announce_lobby, field_error, present
from kiban.meetings.models import Guest, GuestInbox, GuestLink, Meeting

DEFAULT_HOURS = 24
MAX_HOURS = 24 * 30
MAX_WAITING = 50
SESSION_KEY = "meeting_guests"  # {link id: guest id} in the guest's (anonymous) session


class LinkExpired(Exception):
    """The link existed but has expired or was revoked (the page says so: 410)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_create_guest_link(user, meeting: Meeting, hours: int | None = None) -> tuple[GuestLink, str]:
    """A new guest link (the organiser only). Returns the row and the token, which is not stored."""
    if meeting.organizer_id != user.pk:
        raise PermissionDenied(_("ゲスト用リンクは主催者だけが作れます。"))
    hours = DEFAULT_HOURS if hours is None else hours
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_HOURS:
        raise field_error("hours", _("1〜%(max)d時間で指定してください。") % {"max": MAX_HOURS})
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        link = GuestLink.objects.create(
            meeting=meeting,
            token_hash=hash_token(token),
            created_by=user,
            expires_at=timezone.now() + dt.timedelta(hours=hours),
        )
        Meeting.objects.filter(pk=meeting.pk).update(allow_guests=True)
        audit.record("meetings.guest_link", actor=user, target=meeting, hours=hours)
    return link, token


def find_link(token: str) -> GuestLink:
    """The usable link of a token: Http404 for an unknown one, LinkExpired for one past its time."""
    link = GuestLink.objects.select_related("meeting").filter(token_hash=hash_token(token or "")).first()
    if link is None:
        raise Http404
    if not link.usable():
        raise LinkExpired
    return link


def do_knock(link: GuestLink, name: str, organization: str = "") -> Guest:
    name, organization = (name or "").strip(), (organization or "").strip()
    if not name:
        raise field_error("name", _("お名前を入力してください。"))
    if len(name) > 100:
        raise field_error("name", _("100文字以内で入力してください。"))
    if len(organization) > 100:
        raise field_error("organization", _("100文字以内で入力してください。"))
    with transaction.atomic():
        Meeting.objects.select_for_update().filter(pk=link.meeting_id).first()
        waiting = Guest.objects.filter(meeting_id=link.meeting_id, status=Guest.Status.WAITING).count()
        if waiting >= MAX_WAITING:
            raise field_error(
                "name", _("入室待ちの人数が上限に達しています。しばらくしてからお試しください。")
            )
        guest = Guest.objects.create(
            meeting_id=link.meeting_id, link=link, name=name, organization=organization
        )
        announce_lobby(link.meeting)
    return guest


def guest_of(request, link: GuestLink) -> Guest | None:
    guest_id = (request.session.get(SESSION_KEY) or {}).get(str(link.pk))
    if guest_id is None:
        return None
    return Guest.objects.filter(pk=guest_id, link=link).first()


def remember(request, guest: Guest) -> None:
    known = dict(request.session.get(SESSION_KEY) or {})
    known[str(guest.link_id)] = guest.pk
    request.session[SESSION_KEY] = known


def can_admit(user, meeting: Meeting) -> bool:
    if meeting.organizer_id == user.pk:
        return True
    return present(meeting.pk).filter(staff_id=user.pk).exists()


def do_decide(user, meeting: Meeting, guest_id: int, admit: bool) -> Guest:
    """Admit or refuse a waiting guest: the organiser, or staff in the room. A guest already decided is 409."""
    if not can_admit(user, meeting):
        raise PermissionDenied(_("入室を許可できるのは主催者と入室中の職員です。"))
    status = Guest.Status.ADMITTED if admit else Guest.Status.REFUSED
    with transaction.atomic():
        updated = Guest.objects.filter(pk=guest_id, meeting=meeting, status=Guest.Status.WAITING).update(
            status=status, decided_at=timezone.now(), decided_by=user
        )
        guest = Guest.objects.filter(pk=guest_id, meeting=meeting).first()
        if guest is None:
            raise Http404
        if not updated:
            raise Decided(guest)
        audit.record(
            "meetings.guest_" + ("admit" if admit else "refuse"), actor=user, target=meeting, guest=guest.name
        )
        announce_lobby(meeting)
    return guest


class Decided(Exception):
    def __init__(self, guest: Guest) -> None:
        super().__init__(guest.status)
        self.guest = guest


def inbox(guest: Guest, after: int, limit: int = 200) -> list[GuestInbox]:
    return list(GuestInbox.objects.filter(guest=guest, id__gt=after).order_by("id")[:limit])
