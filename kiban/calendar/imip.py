"""iMIP (RFC 6047): invitations, updates and cancellations mailed to attendees as text/calendar.

Called inside the action's transaction: `send_mail` stores the mail and delivers it after commit, so a
rolled-back change mails nobody. Every attendee gets their own message (their address in To:), with the
whole event (series, changed occurrences, EXDATEs) and the event's current SEQUENCE, which the action
raises on every change so mail programs replace the older copy.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.calendar import ics
from kiban.calendar.models import Attendee, Event
from kiban.core.mail import send_mail
from kiban.core.wareki import wareki, wareki_datetime


def _attachment(data: bytes, method: str) -> dict:
    return {
        "filename": "invite.ics",
        "content": data.decode("utf-8"),
        "mimetype": f"text/calendar; method={method}; charset=UTF-8",
    }


def _calendar(event: Event, method: str) -> bytes:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", ics.PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add_component(ics._tokyo_vtimezone())
    attendees = list(Attendee.objects.filter(event=event).select_related("staff"))
    components = ics.event_components(event, attendees=attendees)
    for component in components:
        if method == "CANCEL":
            component.pop("status", None)
            component.add("status", "CANCELLED")
        cal.add_component(component)
    cal.add_missing_timezones()
    return cal.to_ical()


def _body(event: Event, heading: str) -> str:
    start = timezone.localtime(event.start)
    end = timezone.localtime(event.end)
    if event.all_day:
        when = wareki(start.date(), weekday=True)
    else:
        when = f"{wareki_datetime(start, weekday=True)}–{end:%H:%M}"
    lines = [heading, "", _("件名: %(title)s") % {"title": event.title}, _("日時: %(when)s") % {"when": when}]
    if event.location:
        lines.append(_("場所: %(where)s") % {"where": event.location})
    lines.append(_("主催: %(who)s") % {"who": event.organizer.get_full_name()})
    if event.description:
        lines += ["", event.description]
    return "\n".join(lines)


def _send(event: Event, people, method: str, subject: str, heading: str) -> int:
    people = [p for p in people if p.email and p.pk != event.organizer_id]
    if not people:
        return 0
    data = _calendar(event, method)
    body = _body(event, heading)
    for person in people:
        send_mail([person.email], subject, body, attachments=[_attachment(data, method)])
    return len(people)


def send_request(event: Event, people) -> int:
    """METHOD:REQUEST: a new invitation (SEQUENCE 0) or an update (a higher SEQUENCE)."""
    if event.sequence == 0:
        subject = _("招待: %(title)s") % {"title": event.title}
        heading = _("予定に招待されました。")
    else:
        subject = _("更新: %(title)s") % {"title": event.title}
        heading = _("予定が変更されました。")
    return _send(event, people, "REQUEST", subject, heading)


def send_cancel(event: Event, people) -> int:
    """METHOD:CANCEL for the whole event (deleted, or the person was removed from it)."""
    original = event.sequence
    event.sequence += 1  # a cancellation supersedes the last request
    try:
        return _send(
            event,
            people,
            "CANCEL",
            _("取消: %(title)s") % {"title": event.title},
            _("予定が取り消されました。"),
        )
    finally:
        event.sequence = original
