"""REST API for the organisation: me, staff (search, profile, vCard) and departments (tree, members)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from kiban.core import paging
from kiban.org import actions, queries, search, vcard
from kiban.org.models import Department
from kiban.org.schemas import (
    DepartmentNodeOut,
    MemberOut,
    StaffOut,
    department_leaf_out,
    department_node_out,
    staff_out,
)

router = Router(tags=["organisation"])


class StaffListOut(Schema):
    results: list[StaffOut]
    more: bool = Field(description="More people match than were returned: show “50+” and narrow the query.")


class DepartmentDetailOut(Schema):
    id: int
    code: str
    name: str
    parent: int | None
    children: list[DepartmentNodeOut] = Field(
        description="Direct sub-departments (their `children` are empty)."
    )
    members: list[MemberOut]


class StaffFilters(Schema):
    q: str = Field("", max_length=200, description="Space-separated terms, all must match.")
    department: int | None = Field(None, ge=1, description="Only members of this department (id).")
    limit: int = Field(search.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)
    offset: int = Field(0, ge=0, description="People to skip (page through the directory: offset + limit).")
    include_retired: bool = Field(False, description="IT administrators only.")


def _vcard_response(body: str, stem: str) -> HttpResponse:
    response = HttpResponse(body, content_type=vcard.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{vcard.vcard_filename(stem)}"'
    return response


@router.get("/me", response=StaffOut, summary="The signed-in person")
def me(request):
    return staff_out(actions.access_staff(request.auth, request.auth.username))


@router.get("/departments", response=list[DepartmentNodeOut], summary="The department tree")
def department_tree(request):
    return [department_node_out(node) for node in queries.department_tree()]


@router.get("/departments/{department_id}.vcf", summary="All members of a department as one vCard file")
def department_vcf(request, department_id: int):
    department = actions.access_department(request.auth, department_id)
    members = queries.department_members(department, with_all_departments=True)
    return _vcard_response(vcard.vcards(m.staff for m in members), f"department-{department.code}")


@router.get(
    "/departments/{department_id}", response=DepartmentDetailOut, summary="A department and its members"
)
def department_detail(request, department_id: int):
    department = actions.access_department(request.auth, department_id)
    members = queries.department_members(department, with_all_departments=True)
    return {
        "id": department.pk,
        "code": department.code,
        "name": department.name,
        "parent": department.parent_id,
        "children": [department_leaf_out(d) for d in queries.sub_departments(department)],
        "members": [
            MemberOut(title=m.title, head=m.is_head, primary=m.is_primary, staff=staff_out(m.staff))
            for m in members
        ],
    }


@router.get("/staff", response=StaffListOut, summary="Search the directory")
def staff_list(request, filters: Query[StaffFilters]):
    """Kanji, kana (any form), romaji, extension, email; variant kanji fold (髙 = 高). Retired staff
    are left out unless an IT administrator asks for `include_retired`. At most `limit` results, best
    first; `more` says whether there were more (no total is counted)."""
    if filters.include_retired and not actions.can_see_retired(request.auth):
        raise HttpError(403, _("include_retired: IT管理者だけが指定できます。"))
    if filters.department is not None and not Department.objects.filter(pk=filters.department).exists():
        raise HttpError(400, _("department: その所属はありません。"))
    result = search.search_staff(
        filters.q,
        include_retired=filters.include_retired,
        department_id=filters.department,
        limit=filters.limit,
        offset=filters.offset,
    )
    return {"results": [staff_out(p) for p in result.staff], "more": result.more}


@router.get("/staff/{username}.vcf", summary="A person as a vCard")
def staff_vcf(request, username: str):
    person = actions.access_staff(request.auth, username)
    return _vcard_response(vcard.vcards([person]), person.username)


@router.get("/staff/{username}", response=StaffOut, summary="A person")
def staff_detail(request, username: str):
    return staff_out(actions.access_staff(request.auth, username))
