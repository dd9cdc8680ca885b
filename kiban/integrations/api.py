"""/api/v1/integrations/: external systems (IT administrators) and the approval-count push (the system's token)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ValidationError as PydanticValidationError

from kiban.accounts.ratelimit import LoginBlocked
from kiban.core import paging
from kiban.core.permissions import is_it_admin
from kiban.integrations import actions, queries
from kiban.integrations.schemas import (
    ApprovalCountsIn,
    ApprovalCountsOut,
    SystemCreated,
    SystemIn,
    SystemOut,
    SystemPatch,
)
from kiban.integrations.serializers import system_out

router = Router(tags=["integrations"])

# 100,000 rows of a 150-character username and a 7-digit count, with the JSON around them.
MAX_PUSH_BYTES = 100_000 * 200


class ErrorOut(Schema):
    detail: str


def _admin(request) -> None:
    if not is_it_admin(request.auth):
        raise PermissionDenied(_("情報システム課の管理者だけが操作できます。"))


@router.post("/systems", response={201: SystemCreated, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
             summary="Register an external system (IT administrators); the token is shown once")  # fmt: skip
def register_system(request, payload: SystemIn):
    _admin(request)
    try:
        system, token = actions.do_register_system(
            request.auth, name=payload.name, label=payload.label, url=payload.url, scopes=payload.scopes,
            request=request,
        )  # fmt: skip
    except IntegrityError:
        raise HttpError(409, _("name: この識別名はすでに登録されています。")) from None
    return Status(201, SystemCreated(id=system.pk, name=system.name, token=token))


@router.get("/systems", response={200: paging.Page[SystemOut], 403: ErrorOut}, summary="External systems")
def list_systems(request, page: Query[paging.PageQuery]):
    _admin(request)
    return paging.page(queries.systems_with_counts(), page, lambda row: system_out(*row))


@router.get("/systems/{system_id}", response={200: SystemOut, 404: ErrorOut}, summary="One external system")
def get_system(request, system_id: int):
    system = actions.access_system(request.auth, system_id)
    return system_out(system, system.approval_counts.count())


@router.patch("/systems/{system_id}", response={200: SystemOut, 400: ErrorOut, 404: ErrorOut},
              summary="Change an external system (label, url, scopes; enabled=false disables its token)")  # fmt: skip
def update_system(request, system_id: int, payload: SystemPatch):
    system = actions.do_update_system(
        request.auth, system_id, label=payload.label, url=payload.url, scopes=payload.scopes,
        enabled=payload.enabled, request=request,
    )  # fmt: skip
    return system_out(system, system.approval_counts.count())


@router.post("/systems/{system_id}/token", response={200: SystemCreated, 404: ErrorOut},
             summary="Issue a new token (the old one stops working; shown once)")  # fmt: skip
def rotate_token(request, system_id: int):
    system, token = actions.do_rotate_token(request.auth, system_id, request=request)
    return SystemCreated(id=system.pk, name=system.name, token=token)


@router.delete(
    "/systems/{system_id}", response={204: None, 404: ErrorOut}, summary="Delete an external system"
)
def delete_system(request, system_id: int):
    actions.do_delete_system(request.auth, system_id, request=request)
    return HttpResponse(status=204)


def _push_schema() -> dict:
    """The body's JSON schema with the row schema inlined (pydantic's `$defs` mean nothing inside OpenAPI)."""
    schema = ApprovalCountsIn.model_json_schema()
    defs = schema.pop("$defs", {})
    schema["properties"]["counts"]["items"] = defs["CountIn"]
    return schema


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@router.put(
    "/approval-counts",
    auth=None,
    response={
        200: ApprovalCountsOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        429: ErrorOut,
    },
    summary="Replace this system's approval counts (決裁件数); Authorization: Bearer <integration token>",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _push_schema()}},
        }
    },
)
def put_approval_counts(request):
    """`{"system": NAME, "counts": [{"username", "pending"}]}` replaces all of the system's counts: people
    absent from the list go to 0. Usernames that are no active staff are answered in `unknown`. Any bad
    input (a duplicate, a negative or huge number, more than 100,000 rows, bad JSON) is 400 naming the field,
    and nothing changes. The token is checked first (401; failures rate limited like every sign-in: 429)."""
    try:
        system = actions.authenticate_system(request)
    except LoginBlocked as blocked:
        response = _error(
            429, _("認証の失敗が続いたため、%(s)d秒後まで受け付けません。") % {"s": blocked.retry_after}
        )
        response["Retry-After"] = str(blocked.retry_after)
        return response
    except actions.IntegrationRefused as refused:
        return _error(401, str(refused))
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > MAX_PUSH_BYTES:
        return _error(413, _("本文が大きすぎます（%(n)d バイトまで）。") % {"n": MAX_PUSH_BYTES})
    # Read past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): 100,000 rows are about 4 MB; the cap above bounds it.
    body = request.read(MAX_PUSH_BYTES + 1)
    if len(body) > MAX_PUSH_BYTES:
        return _error(413, _("本文が大きすぎます（%(n)d バイトまで）。") % {"n": MAX_PUSH_BYTES})
    try:
        payload = ApprovalCountsIn.model_validate_json(body)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = "body" if first.get("type") == "json_invalid" else _field(tuple(first.get("loc", ())))
        return _error(400, f"{where}: {first.get('msg', '')}")
    rows = [(c.username, c.pending) for c in payload.counts]
    try:
        result = actions.do_replace_approval_counts(system, payload.system, rows, request=request)
    except ValidationError as exc:
        return _error(400, "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items()))
    except PermissionDenied as exc:
        return _error(403, str(exc))
    return ApprovalCountsOut(updated=result.updated, unknown=result.unknown)
