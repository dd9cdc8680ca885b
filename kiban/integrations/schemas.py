from __future__ import annotations

from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictInt, StrictStr

from kiban.core.schemas import OutSchema, Timestamp

Scope = Literal["approval_counts", "scim"]


class SystemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=50, description="識別名 (a-z, 0-9, -, _); the `system` of a push")
    label: str = Field(..., max_length=100)
    url: str | None = Field(None, max_length=500, description="the system's page the portal links to")
    scopes: list[Scope] | None = Field(None, description='default: ["approval_counts"]')


class SystemPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=500)
    scopes: list[Scope] | None = None
    enabled: bool | None = None


class SystemCreated(OutSchema):
    id: int
    name: str
    token: str


class SystemOut(OutSchema):
    id: int
    name: str
    label: str
    url: str
    scopes: list[str]
    enabled: bool
    token_prefix: str
    created_at: Timestamp
    token_rotated_at: Timestamp
    last_push_at: Timestamp | None
    people_with_counts: int


class CountIn(Schema):
    model_config = ConfigDict(extra="forbid")

    username: StrictStr = Field(..., min_length=1, max_length=150)
    pending: StrictInt = Field(..., ge=0, le=1_000_000)


class ApprovalCountsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    system: StrictStr = Field(..., min_length=1, max_length=50)
    counts: list[CountIn] = Field(..., max_length=100_000)


class ApprovalCountsOut(OutSchema):
    updated: int
    unknown: list[str]


class SystemCountOut(OutSchema):
    name: str
    label: str
    url: str
    pending: int


class ApprovalsPanelOut(OutSchema):
    """The portal's 決裁件数 section: the person's count in each enabled system, and the total."""

    total: int
    systems: list[SystemCountOut]
