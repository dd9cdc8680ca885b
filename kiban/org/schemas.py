"""The staff and department objects of CONTRACT.md, once: the API answers with these schemas and
`staff_out` / `department_node_out` build them from the models."""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema
from kiban.org import queries


class StaffDepartmentOut(OutSchema):
    id: int
    name: str
    label: str = Field(
        description="The name as people should read it: with its parent in brackets where another department "
        "has the same name (工務課（東部土木事務所）)"
    )
    title: str
    primary: bool


class StaffOut(OutSchema):
    username: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    romaji: str
    email: str
    extension: str
    mobile: str
    title: str
    departments: list[StaffDepartmentOut]


# The staff object's own columns (all but `departments`), named once: a directory search reads exactly these
# into its hits (`kiban.org.search.StaffHit`), which `staff_out` turns into the same `StaffOut`.
STAFF_COLUMNS: tuple[str, ...] = tuple(name for name in StaffOut.model_fields if name != "departments")


class DepartmentNodeOut(OutSchema):
    id: int
    code: str
    name: str
    parent: int | None
    children: list[DepartmentNodeOut]


DepartmentNodeOut.model_rebuild()


class MemberOut(OutSchema):
    title: str = Field(description="The title in this department (兼務 titles differ from the primary one).")
    head: bool
    primary: bool
    staff: StaffOut


def staff_out(person) -> StaffOut:
    """The staff object. `person.posts` must be loaded (`org.queries.attach_posts`)."""
    return StaffOut(
        username=person.username,
        family_name=person.family_name,
        given_name=person.given_name,
        family_name_kana=person.family_name_kana,
        given_name_kana=person.given_name_kana,
        romaji=person.romaji,
        email=person.email,
        extension=person.extension,
        mobile=person.mobile,
        title=person.title,
        departments=[
            StaffDepartmentOut(
                id=m.department_id,
                name=m.department.name,
                label=getattr(m, "department_label", "") or m.department.name,
                title=m.title,
                primary=m.is_primary,
            )
            for m in person.posts
        ],
    )


def department_node_out(node: queries.DepartmentNode) -> DepartmentNodeOut:
    d = node.department
    return DepartmentNodeOut(
        id=d.pk,
        code=d.code,
        name=d.name,
        parent=d.parent_id,
        children=[department_node_out(child) for child in node.children],
    )


def department_leaf_out(d) -> DepartmentNodeOut:
    """A department without its sub-departments (`children` empty)."""
    return DepartmentNodeOut(id=d.pk, code=d.code, name=d.name, parent=d.parent_id, children=[])
