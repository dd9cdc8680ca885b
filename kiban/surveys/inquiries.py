"""Writes to inquiries (照会・回答).

Each addressed section answers once, through any of its members (兼務 included), with files; the sender
may send an answer back (差戻し), after which the section answers again. Per-section ownership: a member of
one addressed section sees and answers for their section only — another section's answer is not theirs
to read. The sender sees every section's state and answer.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.blobs import store
from kiban.blobs.names import clean_name
from kiban.core import audit
from kiban.core.jobs import enqueue_on_commit
from kiban.notifications.actions import notify
from kiban.org import queries as org_queries
from kiban.org.models import Department, Membership
from kiban.surveys.audience import field_error
from kiban.surveys.jobs import announce_inquiry
from kiban.surveys.models import Inquiry, InquiryFile, InquiryTarget

TITLE_MAX, BODY_MAX, FILES_MAX = 200, 20_000, 10
State = InquiryTarget.State


class AlreadyAnswered(Exception):
    """The section has answered (409); the sender may send it back."""


def my_sections(user) -> set[int]:
    return org_queries.section_ids_of(user)


def access_inquiry(user, inquiry_id: int) -> tuple[Inquiry, list[InquiryTarget]]:
    """The inquiry and the targets the person may see: all of them for the sender, their own sections'
    for a member of an addressed section; anyone else gets Http404."""
    inquiry = Inquiry.objects.select_related("sender", "sender_department").filter(pk=inquiry_id).first()
    if inquiry is None:
        raise Http404
    targets = InquiryTarget.objects.filter(inquiry=inquiry).select_related("department", "answered_by")
    if inquiry.sender_id == user.pk:
        return inquiry, list(targets.order_by("department__order", "department__code"))
    mine = list(targets.filter(department_id__in=my_sections(user)).order_by("department__order"))
    if not mine:
        raise Http404
    return inquiry, mine


def _max_upload() -> int:
    return int(settings.KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES)


def do_upload_file(user, upload: UploadedFile, name: str | None = None) -> InquiryFile:
    """Store a file for an inquiry or an answer about to be sent (bound when it is sent)."""
    name = clean_name(name, "name") if name else clean_name(upload.name, "file")
    if not upload.size:
        raise field_error("file", _("空のファイルは添付できません。"))
    blob = store.begin(prefix="inquiries")
    try:
        store.write_upload(blob, upload, limit=_max_upload())
        with transaction.atomic():
            store.mark_ready(blob)
            return InquiryFile.objects.create(
                blob=blob, name=name, size=blob.size, content_type=blob.content_type, uploaded_by=user
            )
    except BaseException:
        store.abandon(blob)
        raise


def _bind(user, file_ids: list[int] | None, **owner) -> None:
    file_ids = list(dict.fromkeys(file_ids or []))
    if len(file_ids) > FILES_MAX:
        raise field_error("attachments", _("添付は%(max)d件までです。") % {"max": FILES_MAX})
    if not file_ids:
        return
    updated = InquiryFile.objects.filter(
        pk__in=file_ids, uploaded_by=user, inquiry__isnull=True, target__isnull=True
    ).update(**owner)
    if updated != len(file_ids):
        raise field_error("attachments", _("自分がアップロードした未使用の添付を指定してください。"))


def do_send_inquiry(user, *, title: str, body: str, departments: list[int], deadline: dt.datetime | None = None,
                    attachments: list[int] | None = None) -> Inquiry:  # fmt: skip

    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise field_error("title", _("件名を%(max)d文字以内で入力してください。") % {"max": TITLE_MAX})
    if not body or len(body) > BODY_MAX:
        raise field_error("body", _("本文を%(max)d文字以内で入力してください。") % {"max": BODY_MAX})
    if not isinstance(departments, list) or not departments or len(departments) > 1000:
        raise field_error("departments", _("照会先の所属を1つ以上指定してください。"))
    ids = list(dict.fromkeys(departments))
    known = set(Department.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if len(known) != len(ids):
        raise field_error(
            "departments", _("存在しない所属です: %(ids)s") % {"ids": [i for i in ids if i not in known]}
        )
    if deadline is not None and timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if deadline is not None and deadline <= timezone.now():
        raise field_error("deadline", _("回答期限は未来の日時にしてください。"))
    sender_department = (
        Membership.objects.filter(staff_id=user.pk, is_primary=True)
        .values_list("department_id", flat=True)
        .first()
    )

    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            title=title, body=body, sender=user, sender_department_id=sender_department, deadline=deadline
        )
        InquiryTarget.objects.bulk_create([InquiryTarget(inquiry=inquiry, department_id=d) for d in ids])
        _bind(user, attachments, inquiry=inquiry)
        audit.record("inquiries.send", actor=user, target=inquiry, departments=ids)
        enqueue_on_commit(announce_inquiry, inquiry.pk, ids)
    return inquiry


def do_answer(user, inquiry: Inquiry, *, body: str, department: int | None = None,
              attachments: list[int] | None = None) -> InquiryTarget:  # fmt: skip
    """Answer for one of the person's addressed sections (`department` when they belong to several).
    Raises AlreadyAnswered when the section has answered and was not sent back."""
    body = (body or "").strip()
    if not body or len(body) > BODY_MAX:
        raise field_error("body", _("回答を%(max)d文字以内で入力してください。") % {"max": BODY_MAX})
    if inquiry.closed_at is not None:
        raise field_error("inquiry", _("この照会は締め切られました。"))
    addressed = InquiryTarget.objects.filter(inquiry=inquiry, department_id__in=my_sections(user))
    if department is not None:
        addressed = addressed.filter(department_id=department)
    candidates = list(addressed)
    if not candidates:
        raise field_error("department", _("あなたの所属はこの照会の宛先ではありません。"))
    if len(candidates) > 1:
        raise field_error("department", _("複数の所属が宛先です。どの所属として回答するか指定してください。"))
    target = candidates[0]
    now = timezone.now()
    with transaction.atomic():
        claimed = InquiryTarget.objects.filter(
            pk=target.pk, state__in=[State.UNANSWERED, State.RETURNED]
        ).update(state=State.ANSWERED, body=body, answered_by=user, answered_at=now)
        if claimed != 1:
            raise AlreadyAnswered
        _bind(user, attachments, target=target)
        audit.record("inquiries.answer", actor=user, target=inquiry, department=target.department_id)

        notify(
            [inquiry.sender_id], kind="inquiries.answered",
            title=_("照会「%(title)s」に%(dept)sが回答しました") % {"title": inquiry.title, "dept": target.department.name},
            url=f"/inquiries/{inquiry.pk}/", actor=user,
        )  # fmt: skip
    target.refresh_from_db()
    return target


def do_return(user, inquiry: Inquiry, department_id: int, comment: str) -> InquiryTarget:
    """The sender sends a section's answer back (差戻し) with a reason; its members are told."""
    if inquiry.sender_id != user.pk:
        raise PermissionDenied(_("照会した人だけが差し戻せます。"))
    comment = (comment or "").strip()
    if not comment or len(comment) > BODY_MAX:
        raise field_error("comment", _("差戻しの理由を入力してください。"))
    target = InquiryTarget.objects.filter(inquiry=inquiry, department_id=department_id).first()
    if target is None:
        raise Http404
    with transaction.atomic():
        if not InquiryTarget.objects.filter(pk=target.pk, state=State.ANSWERED).update(
            state=State.RETURNED, return_comment=comment, returned_at=timezone.now()
        ):
            raise field_error("department", _("回答済みの所属だけを差し戻せます。"))
        audit.record("inquiries.return", actor=user, target=inquiry, department=department_id)

        enqueue_on_commit(announce_inquiry, inquiry.pk, [department_id], True)
    target.refresh_from_db()
    return target


def do_remind(user, inquiry: Inquiry) -> int:
    if inquiry.sender_id != user.pk:
        raise PermissionDenied(_("照会した人だけが督促できます。"))
    pending = InquiryTarget.objects.filter(inquiry=inquiry).filter(
        Q(state=State.UNANSWERED) | Q(state=State.RETURNED)
    )
    ids = list(pending.values_list("department_id", flat=True))

    with transaction.atomic():
        audit.record("inquiries.remind", actor=user, target=inquiry, departments=ids)
        enqueue_on_commit(announce_inquiry, inquiry.pk, ids, True)
    return len(ids)


def access_file(user, file_id: int) -> InquiryFile:
    """A file the person may download: the inquiry's files for everyone who may see the inquiry, a
    section's answer files for the sender and that section's members."""
    file = InquiryFile.objects.select_related("blob", "target").filter(pk=file_id).first()
    if file is None:
        raise Http404
    if file.inquiry_id is None and file.target_id is None:
        if file.uploaded_by_id != user.pk:
            raise Http404
        return file
    inquiry_id = file.inquiry_id or file.target.inquiry_id
    inquiry, targets = access_inquiry(user, inquiry_id)
    if file.target_id is not None and file.target_id not in {t.pk for t in targets}:
        raise Http404
    return file


def inbox(user) -> list[tuple[Inquiry, list[InquiryTarget]]]:
    sections = my_sections(user)
    targets = (
        InquiryTarget.objects.filter(department_id__in=sections)
        .select_related("inquiry", "inquiry__sender", "department")
        .order_by("-inquiry__created_at", "department__order")
    )
    grouped: dict[int, tuple[Inquiry, list[InquiryTarget]]] = {}
    for t in targets[:500]:
        grouped.setdefault(t.inquiry_id, (t.inquiry, []))[1].append(t)
    return list(grouped.values())
