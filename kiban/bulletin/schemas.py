"""The bulletin's objects as clients read them (CONTRACT.md "bulletin post", "bulletin category")."""

from __future__ import annotations

from kiban.core.schemas import OutSchema, Timestamp


class CategoryOut(OutSchema):
    id: int
    name: str
    department: int | None
    department_name: str = ""
    editors: list[str]
    can_post: bool = False
    can_manage: bool = False


class AttachmentOut(OutSchema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class PostOut(OutSchema):
    id: int
    category: int
    category_name: str
    title: str
    body: str
    html: str
    author: str
    author_name: str
    publish_at: Timestamp
    expires_at: Timestamp | None
    audience: dict
    notify_email: bool
    important: bool
    pinned: bool
    read: bool
    published: bool
    edited_at: Timestamp | None
    attachments: list[AttachmentOut]


class PostSummary(OutSchema):
    """A post in a list or on the portal: without its body."""

    id: int
    category: int
    category_name: str
    title: str
    author_name: str
    publish_at: Timestamp
    important: bool
    pinned: bool
    read: bool
    url: str


class CommentOut(OutSchema):
    id: int
    post: int
    author: str
    author_name: str
    body: str
    html: str
    created_at: Timestamp


class RevisionOut(OutSchema):
    id: int
    editor: str
    editor_name: str
    edited_at: Timestamp
    title: str
    body: str


class ReaderOut(OutSchema):
    username: str
    name: str
    department: str
    read_at: Timestamp | None


class ReadersPage(OutSchema):
    results: list[ReaderOut]
    more: bool
    total: int
    read: int


class PortalOut(OutSchema):
    """The bulletin's part of the portal: important and new posts this person has not read."""

    posts: list[PostSummary]
    unread: int
