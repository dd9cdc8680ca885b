"""Email: the one way every module sends mail.

`send_mail` stores the message and schedules its delivery after commit; the `deliver_email` job sends it
through KIBAN_SMTP_URL (Django's SMTP backend: plain, STARTTLS, SMTPS, login) and retries with backoff
while the server is down. Without KIBAN_SMTP_URL the mail is written to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from kiban.core import audit
from kiban.core.jobs import enqueue_on_commit, job
from kiban.core.models import OutgoingEmail

logger = logging.getLogger("kiban.mail")

# 13 attempts over about four hours (30 s, 1, 2, 4 … capped at 30 min): a mail server restart or a
# short network outage delays mail instead of losing it.
MAIL_RETRIES = 12


class LogEmailBackend(BaseEmailBackend):
    """Embedded default: the message goes to the log instead of a server."""

    def send_messages(self, email_messages):
        for message in email_messages:
            logger.info(
                "email (no KIBAN_SMTP_URL) to=%s subject=%s\n%s", message.to, message.subject, message.body
            )
        return len(email_messages)


def send_mail(
    to: Sequence[str],
    subject: str,
    body: str,
    *,
    html: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[dict] | None = None,
) -> OutgoingEmail | None:
    """Queue one email. `attachments` are `{"filename", "content", "mimetype"}` with text content
    (e.g. an iCalendar invitation). Returns None when there is nobody to send to."""
    recipients = [address for address in to if address]
    if not recipients:
        return None
    domain = settings.BASE_URL.split("://", 1)[-1].split(":")[0].split("/")[0] or "kiban.local"
    email = OutgoingEmail.objects.create(
        to=recipients,
        subject=subject,
        body=body,
        html=html,
        headers=headers or {},
        attachments=attachments or [],
        message_id=make_msgid(domain=domain),
    )
    enqueue_on_commit(deliver_email, email.pk)
    return email


class _Base64Email(EmailMultiAlternatives):
    """Text parts in base64 instead of Django's 8bit: a Japanese body then passes relays and gateways that do
    not offer 8BITMIME (still common in closed government networks). Headers are RFC 2047 encoded by Django."""

    def message(self):
        message = super().message()
        # Django folds the encoded subject onto a continuation line ("Subject: \r\n =?utf-8?…"), which
        # strict readers decode with a leading space; a Header object folds after the first encoded word.
        del message["Subject"]
        # (set past SafeMIME's __setitem__, which would turn the Header back into a string and refold it).
        Message.__setitem__(message, "Subject", Header(self.subject, "utf-8", header_name="Subject"))
        for part in message.walk():
            if part.get_content_maintype() == "text" and part.get("Content-Transfer-Encoding") == "8bit":
                text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                del part["Content-Transfer-Encoding"]
                part.set_payload(text, charset=_UTF8_BASE64)
        return message


_UTF8_BASE64 = Charset("utf-8")
_UTF8_BASE64.body_encoding = BASE64


def build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = _Base64Email(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        headers={"Message-ID": email.message_id, **email.headers},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments:
        mimetype = attachment.get("mimetype") or ""
        if mimetype.startswith("text/calendar"):
            message.attach(_calendar_part(attachment["content"], mimetype, attachment["filename"]))
        else:
            message.attach(attachment["filename"], attachment["content"], mimetype or None)
    return message


def _calendar_part(content: str, mimetype: str, filename: str) -> MIMEText:
    """An iMIP part (RFC 6047): text/calendar with its `method` parameter, once, and UTF-8 in base64.
    Django's attach() would repeat the charset parameter and mark it a plain attachment, which Outlook then
    shows as a file instead of an invitation."""
    part = MIMEText(content, "calendar", "utf-8")
    for param in mimetype.split(";")[1:]:
        key, _sep, value = param.strip().partition("=")
        if key.lower() not in ("charset", "") and value:
            part.set_param(key.lower(), value.strip('"'))
    part.set_param("name", filename)
    return part


@job(retries=MAIL_RETRIES, backoff=30, max_backoff=1800, queue_name="mail")
def deliver_email(email_id: int) -> str:
    """Send one queued email exactly once.

    The message is claimed with a conditional update (queued → sending): only one attempt can win, so a
    duplicated or concurrent job cannot send it twice. The SMTP conversation happens outside any transaction.
    The message is recorded as sent as soon as the server accepted it, before the connection is closed, so
    an error at QUIT does not cause a second delivery. A process killed between acceptance and that record
    leaves the message `sending`: it is shown to administrators instead of being sent again (at most once).
    """
    claimed = OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.QUEUED).update(
        status=OutgoingEmail.Status.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return "already handled"
    email = OutgoingEmail.objects.get(pk=email_id)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        connection.send_messages([build_message(email)])
    except Exception as exc:
        # The last attempt marks the message failed; earlier ones put it back in the queue for the retry.
        final = email.attempts > MAIL_RETRIES
        OutgoingEmail.objects.filter(pk=email_id).update(
            status=OutgoingEmail.Status.FAILED if final else OutgoingEmail.Status.QUEUED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        _close_quietly(connection)
        raise
    OutgoingEmail.objects.filter(pk=email_id).update(
        status=OutgoingEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    _close_quietly(connection)
    return "sent"


def _close_quietly(connection: BaseEmailBackend) -> None:
    try:
        connection.close()
    except Exception:  # the message is already accepted (or already failed); QUIT errors change nothing
        logger.warning("closing the SMTP connection failed", exc_info=True)


def unsent_emails(limit: int = 100) -> list[OutgoingEmail]:
    """For /manage/jobs: mail still waiting, stuck in `sending` (a worker died mid-send) or given up."""
    return list(
        OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT)
        .defer("body", "html", "attachments")
        .order_by("created_at")[:limit]
    )


def do_resend_email(actor, email_id: int, request=None) -> OutgoingEmail:
    """Put a mail that gave up (status failed, e.g. after a long SMTP outage) back in the queue, for an IT
    administrator. Only a failed mail can be resent, so a delivered one is never sent twice: anything else is
    Http404. The caller checks that `actor` is an administrator."""
    with transaction.atomic():
        updated = OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.FAILED).update(
            status=OutgoingEmail.Status.QUEUED, attempts=0
        )
        if not updated:
            raise Http404
        email = OutgoingEmail.objects.get(pk=email_id)
        audit.record("mail.resend", actor=actor, target=email, request=request, to=email.to)
        enqueue_on_commit(deliver_email, email.pk)
    return email
