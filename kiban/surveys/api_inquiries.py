"""Inquiries API (CONTRACT.md "inquiry (照会)"): send, inbox and sent lists, a section's answer with files,
send back, remind, and the aggregated table as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import File as FileParam
from ninja import Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from kiban.blobs import store
from kiban.blobs.serve import blob_response
from kiban.core import paging
from kiban.surveys import inquiries
from kiban.surveys.models import Inquiry, InquiryTarget
from kiban.surveys.schemas import (
    InquiryFileOut,
    InquiryOut,
    InquiryRemindOut,
    InquiryTargetOut,
    inquiry_file_out,
    inquiry_out,
    inquiry_target_out,
)

router = Router(tags=["inquiries"])


class InquiryIn(Schema):
    title: str
    body: str
    departments: list[int] = Field(description="the addressed sections")
    deadline: dt.datetime | None = None
    attachments: list[int] | None = Field(None, description="ids from POST /api/v1/inquiries/files")


class AnswerIn(Schema):
    body: str
    department: int | None = Field(
        None, description="which of the caller's sections answers (when several are addressed)"
    )
    attachments: list[int] | None = None


class ReturnIn(Schema):
    comment: str


def _errors(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except inquiries.AlreadyAnswered as exc:
            raise HttpError(
                409, _("department: この所属は回答済みです（差し戻されると再回答できます）。")
            ) from exc
        except store.TooLarge as exc:
            raise HttpError(
                413, _("file: %(mb)d MB を超えるファイルは添付できません。") % {"mb": exc.limit // 1048576}
            ) from exc

    return wrapped


@router.get(
    "/inquiries", response=paging.Page[InquiryOut], summary="box=inbox (to the caller's sections) or box=sent"
)
def list_inquiries(request: HttpRequest, page: Query[paging.PageQuery], box: str = "inbox"):
    if box == "sent":
        rows = Inquiry.objects.filter(sender=request.user).select_related("sender", "sender_department")

        def sent(inquiry):
            targets = list(
                inquiry.targets.select_related("department", "answered_by").order_by("department__order")
            )
            return inquiry_out(inquiry, targets, request.user)

        return paging.page(rows.order_by("-created_at", "-pk"), page, sent)
    if box != "inbox":
        raise HttpError(400, "box: inbox または sent です。")
    return paging.page(inquiries.inbox(request.user), page, lambda pair: inquiry_out(*pair, request.user))


@router.post("/inquiries", response={201: InquiryOut}, summary="Send an inquiry to sections")
def send(request: HttpRequest, payload: InquiryIn):
    inquiry = inquiries.do_send_inquiry(
        request.user, title=payload.title, body=payload.body, departments=payload.departments,
        deadline=payload.deadline, attachments=payload.attachments,
    )  # fmt: skip
    inquiry, targets = inquiries.access_inquiry(request.user, inquiry.pk)
    return Status(201, inquiry_out(inquiry, targets, request.user))


@router.get(
    "/inquiries/{int:inquiry_id}",
    response=InquiryOut,
    summary="An inquiry: every section's state (sender) or the caller's sections'",
)
def get_inquiry(request: HttpRequest, inquiry_id: int):
    inquiry, targets = inquiries.access_inquiry(request.user, inquiry_id)
    return inquiry_out(inquiry, targets, request.user)


@router.post(
    "/inquiries/{int:inquiry_id}/answers",
    response={201: InquiryTargetOut},
    summary="Answer for the caller's section",
)
@_errors
def answer(request: HttpRequest, inquiry_id: int, payload: AnswerIn):
    inquiry, _targets = inquiries.access_inquiry(request.user, inquiry_id)
    target = inquiries.do_answer(
        request.user,
        inquiry,
        body=payload.body,
        department=payload.department,
        attachments=payload.attachments,
    )
    return Status(201, inquiry_target_out(target))


@router.post("/inquiries/{int:inquiry_id}/targets/{int:department_id}/return", response=InquiryTargetOut,
             summary="Send a section's answer back (差戻し) with a reason")  # fmt: skip
def send_back(request: HttpRequest, inquiry_id: int, department_id: int, payload: ReturnIn):
    inquiry, _targets = inquiries.access_inquiry(request.user, inquiry_id)
    return inquiry_target_out(inquiries.do_return(request.user, inquiry, department_id, payload.comment))


@router.post(
    "/inquiries/{int:inquiry_id}/remind",
    response=InquiryRemindOut,
    summary="Remind sections that have not answered",
)
def remind(request: HttpRequest, inquiry_id: int):
    inquiry, _targets = inquiries.access_inquiry(request.user, inquiry_id)
    return {"reminded_sections": inquiries.do_remind(request.user, inquiry)}


@router.post(
    "/inquiries/files",
    response={201: InquiryFileOut},
    summary="Upload a file for an inquiry or an answer (multipart `file`, `name`?)",
)
@_errors
def upload(request: HttpRequest, file: FileParam[UploadedFile], name: Form[str | None] = None):
    return Status(201, inquiry_file_out(inquiries.do_upload_file(request.user, file, name)))


@router.api_operation(
    ["GET", "HEAD"], "/inquiries/files/{int:file_id}", summary="Download an inquiry's or an answer's file"
)
def download(request: HttpRequest, file_id: int):
    f = inquiries.access_file(request.user, file_id)
    return blob_response(request, f.blob, f.name)


def aggregated_csv(inquiry: Inquiry, targets: list[InquiryTarget]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("所属"), _("状態"), _("回答者"), _("回答日時"), _("回答"), _("添付ファイル")])
    for t in targets:
        writer.writerow([
            t.department.name, t.get_state_display(), t.answered_by.get_full_name() if t.answered_by_id else "",
            timezone.localtime(t.answered_at).strftime("%Y-%m-%d %H:%M") if t.answered_at else "",
            t.body, "、".join(f.name for f in t.files.all()),
        ])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@router.get(
    "/inquiries/{int:inquiry_id}/answers.csv",
    summary="The aggregated table of every section's answer (sender)",
)
def answers_csv(request: HttpRequest, inquiry_id: int):
    inquiry, targets = inquiries.access_inquiry(request.user, inquiry_id)
    if inquiry.sender_id != request.user.pk:
        raise HttpError(403, _("照会した人だけが集計表を出力できます。"))
    response = HttpResponse(aggregated_csv(inquiry, targets), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{inquiry.title}.csv")
    response["X-Content-Type-Options"] = "nosniff"
    return response
