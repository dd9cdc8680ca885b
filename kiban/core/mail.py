"""Email: the one way every module sends mail.

`send_mail` stores the message and schedules its delivery after commit; the `deliver_email` job sends it
through KIBAN_SMTP_URL (Django's SMTP backend: plain, STARTTLS, SMTPS, login) and retries with backoff
while the server is down. Without KIBAN_SMTP_URL the mail is written to the log.

`send_mass_mail` is the path for thousands of messages at once (a bulletin post to all staff): one bulk
insert, and one `deliver_email_batch` job per BATCH_SIZE messages that sends them all over one SMTP
connection. A job and a TCP/SMTP handshake per message cost more than the message itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import smtplib
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
from kiban.core.jobs import backoff_delay, enqueue_on_commit, job
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
    domain = _message_domain()
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


# Messages per `deliver_email_batch` job (and per SMTP connection).
BATCH_SIZE = 250
# Sent messages are recorded in groups of this many (one UPDATE each): a process killed in between leaves
# at most this many accepted messages `sending` — shown to administrators, never sent twice.
RECORD_EVERY = 50


def _message_domain() -> str:
    return settings.BASE_URL.split("://", 1)[-1].split(":")[0].split("/")[0] or "kiban.local"


def send_mass_mail(
    messages: Sequence[tuple[Sequence[str], str, str]],
    *,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> int:
    """Queue many emails at once: `messages` are (to, subject, body). One bulk insert; delivery after commit
    by `deliver_email_batch`, BATCH_SIZE messages per job and per SMTP connection. Safe inside the caller's
    transaction (nothing is sent unless it commits). Returns how many were queued."""
    domain = _message_domain()
    rows = [
        OutgoingEmail(
            to=[a for a in to if a],
            subject=subject,
            body=body,
            html=html,
            headers=headers or {},
            attachments=[],
            message_id=make_msgid(domain=domain),
        )  # fmt: skip
        for to, subject, body in messages
        if any(to)
    ]
    created = OutgoingEmail.objects.bulk_create(rows, batch_size=500)
    ids = [row.pk for row in created]
    for start in range(0, len(ids), BATCH_SIZE):
        # The ids as one JSON string: the queue normalises arguments value by value.
        enqueue_on_commit(
            deliver_email_batch, json.dumps(ids[start : start + BATCH_SIZE], separators=(",", ":"))
        )
    return len(ids)


# Refusals that concern one message (a recipient, its size, its content), not the connection: that message
# is retried on its own and the batch goes on.
_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)


@job(retries=MAIL_RETRIES, backoff=30, max_backoff=1800, queue_name="mail")
def deliver_email_batch(ids: str) -> str:
    """Send the queued emails among `ids` over one SMTP connection, each exactly once.

    The messages are claimed together (queued → sending, a conditional update in one transaction; a message
    another job holds is skipped), so a duplicated or retried job never sends one twice. Each message is
    recorded sent once the server accepted it (in groups of RECORD_EVERY). A message the server refuses on
    its own is handed to `deliver_email` with its own backoff; when the connection fails, the messages not
    yet sent go back to the queue (failed after their last attempt) and the job raises, so its retry sends
    the rest — never the ones already accepted."""
    wanted = json.loads(ids)
    with transaction.atomic():
        queued = OutgoingEmail.objects.filter(pk__in=wanted, status=OutgoingEmail.Status.QUEUED)
        claimed = list(queued.select_for_update(skip_locked=True).values_list("pk", flat=True))
        OutgoingEmail.objects.filter(pk__in=claimed, status=OutgoingEmail.Status.QUEUED).update(
            status=OutgoingEmail.Status.SENDING, attempts=F("attempts") + 1
        )
    if not claimed:
        return "already handled"
    emails = list(OutgoingEmail.objects.filter(pk__in=claimed).order_by("pk"))
    connection = get_connection(fail_silently=False)
    sent: list[int] = []
    rendered: dict = {}

    def record_sent() -> None:
        if sent:
            OutgoingEmail.objects.filter(pk__in=sent).update(
                status=OutgoingEmail.Status.SENT, sent_at=timezone.now(), last_error=""
            )
            sent.clear()

    done = 0
    try:
        connection.open()
        for email in emails:
            try:
                _send_one(connection, email, rendered)
            except _MESSAGE_ERRORS as exc:
                OutgoingEmail.objects.filter(pk=email.pk).update(
                    status=OutgoingEmail.Status.QUEUED, last_error=f"{type(exc).__name__}: {exc}"[:2000]
                )
                delay = backoff_delay(email.attempts, 30, 1800)
                deliver_email.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue(email.pk)
            else:
                sent.append(email.pk)
                if len(sent) >= RECORD_EVERY:
                    record_sent()
            done += 1
    except Exception as exc:
        record_sent()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        rest = [e.pk for e in emails[done:]]
        for final in (True, False):
            OutgoingEmail.objects.filter(
                pk__in=rest, status=OutgoingEmail.Status.SENDING,
                **({"attempts__gt": MAIL_RETRIES} if final else {"attempts__lte": MAIL_RETRIES}),
            ).update(status=OutgoingEmail.Status.FAILED if final else OutgoingEmail.Status.QUEUED, last_error=error)  # fmt: skip
        _close_quietly(connection)
        raise
    record_sent()
    _close_quietly(connection)
    return f"sent {len(emails)}"


# Placeholders of a rendered message that many recipients share (ASCII, short: never folded or encoded).
_TO_MARK = "kiban-recipient@placeholder.invalid"
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
_ID_MARK = "<kiban-message-id@placeholder.invalid>"


def _send_one(connection: BaseEmailBackend, email: OutgoingEmail, rendered: dict) -> None:
    """Send one message of a batch. Messages of a batch usually differ only in their recipient and Message-ID
    (one notice to thousands): over SMTP the MIME text is rendered once per distinct content and only those
    two headers are put in per message — rendering (RFC 2047 subject, base64 body) costs as much as sending.
    Anything unusual (attachments, a non-ASCII address, another backend) is built in full."""
    from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
    from django.core.mail.message import sanitize_address

    simple = (
        isinstance(connection, SmtpBackend)
        and connection.connection is not None
        and not email.attachments
        and all(address.isascii() for address in email.to)
        and email.message_id.isascii()
    )
    if not simple:
        connection.send_messages([build_message(email)])
        return
    key = (email.subject, email.body, email.html, json.dumps(email.headers, sort_keys=True))
    template = rendered.get(key)
    if template is None:
        proto = OutgoingEmail(
            to=[_TO_MARK], subject=email.subject, body=email.body, html=email.html, headers=email.headers,
            message_id=_ID_MARK,
        )  # fmt: skip
        template = build_message(proto).message().as_bytes(linesep="\r\n")
        if template.count(_TO_MARK.encode()) != 1 or template.count(_ID_MARK.encode()) != 1:
            connection.send_messages([build_message(email)])
            return
        rendered[key] = template
    data = template.replace(_TO_MARK.encode(), ", ".join(email.to).encode(), 1).replace(
        _ID_MARK.encode(), email.message_id.encode(), 1
    )
    sender = rendered.get(("sender",))
    if sender is None:
        sender = rendered[("sender",)] = sanitize_address(
            settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET
        )
    # A bare ASCII address needs no sanitising (and parsing one costs as much as sending it).
    recipients = [
        a if _BARE_ADDRESS.fullmatch(a) else sanitize_address(a, settings.DEFAULT_CHARSET) for a in email.to
    ]
    connection.connection.sendmail(sender, recipients, data)


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
