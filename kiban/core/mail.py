"""Email: the one way every module sends mail.

`send_mail` stores the message and schedules its delivery after commit; the `deliver_email` job sends it
through KIBAN_SMTP_URL (Django's SMTP backend: plain, STARTTLS, SMTPS, login) and retries with backoff
while the server is down. Without KIBAN_SMTP_URL the mail is written to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import make_msgid
from django.db.models import F
from django.utils import timezone

from kiban.core.jobs import enqueue_on_commit, job
from kiban.core.models import OutgoingEmail

logger = logging.getLogger("kiban.mail")


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


def build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        headers={"Message-ID": email.message_id, **email.headers},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment.get("mimetype"))
    return message


@job(retries=12, backoff=30, max_backoff=1800, queue_name="mail")
def deliver_email(email_id: int) -> str:
    # Claim the message with a conditional update: only one attempt can move it from queued to sending,
    # so a duplicated job cannot send it twice. The SMTP conversation happens outside any transaction.
    claimed = OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.QUEUED).update(
        status=OutgoingEmail.Status.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return "already handled"
    email = OutgoingEmail.objects.get(pk=email_id)
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([build_message(email)])
    except Exception as exc:
        OutgoingEmail.objects.filter(pk=email_id).update(
            status=OutgoingEmail.Status.QUEUED, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    OutgoingEmail.objects.filter(pk=email_id).update(
        status=OutgoingEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"
