"""REST API for chat (CONTRACT.md): conversations, members, messages, reactions, pins, read state,
attachments, teams and webhooks. Parses, calls kiban.chat.actions, renders; nothing else."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import File, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from kiban.blobs.serve import blob_response
from kiban.chat import actions, queries
from kiban.chat.attachments import (
    INLINE_TYPES,
    AttachmentTooLarge,
    access_attachment,
    do_upload_attachment,
    thumbnail_content_type,
)
from kiban.chat.models import Conversation, Message, MessageEdit
from kiban.chat.schemas import (
    AttachmentOut,
    ChannelOut,
    ConversationOut,
    MemberOut,
    MessageOut,
    ReactionOut,
    TeamOut,
    WebhookOut,
)
from kiban.chat.serializers import (
    attachment_out,
    channel_out,
    conversation_out,
    member_out,
    message_out,
    team_out,
)
from kiban.core import paging
from kiban.core.permissions import is_it_admin
from kiban.org.models import Department

router = Router(tags=["chat"])

# --- Schemas ---------------------------------------------------------------------------------------------


class ConversationIn(Schema):
    kind: Literal["dm", "group", "channel"]
    members: list[str] = Field(default_factory=list, max_length=200, description="Usernames (職員番号).")
    name: str | None = Field(None, max_length=100)
    team: int | None = Field(None, description="The team of a channel.")
    visibility: Literal["public", "private"] | None = Field(
        None, description="Channels only; default public."
    )
    topic: str | None = Field(None, max_length=100)


class ConversationPatch(Schema):
    name: str | None = Field(None, max_length=100)
    topic: str | None = Field(None, max_length=100)


class MessageIn(Schema):
    body: str = Field("", max_length=20000)
    thread_root: int | None = Field(None, description="Reply in the thread of this message.")
    attachments: list[int] = Field(
        default_factory=list, max_length=10, description="Ids from the upload endpoint."
    )


class MessagePatch(Schema):
    body: str = Field(max_length=20000)


class MessageFilters(Schema):
    after: int | None = Field(None, ge=0, description="Messages with a greater seq, oldest first (catch up).")
    before: int | None = Field(None, ge=1, description="The newest messages below this seq (history).")
    limit: int = Field(50, ge=1, le=queries.MAX_PAGE)
    thread: int | None = Field(None, ge=1, description="A thread: its root message id.")
    roots_only: bool = Field(False, description="Leave thread replies out.")


class ReadIn(Schema):
    seq: int = Field(ge=0)


class ReadOut(Schema):
    conversation: int
    seq: int
    unread: int


class MembersIn(Schema):
    members: list[str] = Field(min_length=1, max_length=200)


class MuteIn(Schema):
    muted: bool = True


class ArchiveIn(Schema):
    archived: bool = True


class ReactionIn(Schema):
    emoji: str = Field(max_length=64)
    toggle: bool = Field(False, description="Remove the reaction when the person already gave it.")


class ReactionResult(Schema):
    emoji: str
    reacted: bool
    reactions: list[ReactionOut]


class PinIn(Schema):
    pinned: bool = True


class EditOut(Schema):
    body: str
    edited_at: str
    editor: str | None


class TeamIn(Schema):
    name: str = Field(max_length=100)
    description: str = Field("", max_length=1000)


class DepartmentSyncIn(Schema):
    department: int


class DepartmentSyncOut(Schema):
    team: TeamOut
    added: int
    removed: int


class WebhookIn(Schema):
    bot_name: str = Field(max_length=64)


class UnreadOut(Schema):
    conversations: int
    messages: int
    mentions: int


# --- Conversations ---------------------------------------------------------------------------------------


def _conversation_out(conv: Conversation, user) -> ConversationOut:
    return conversation_out(conv, user, member=getattr(conv, "membership", None))


@router.get(
    "/conversations",
    response=paging.Page[ConversationOut],
    summary="The person's conversations, newest activity first (paged)",
)
def list_conversations(request: HttpRequest, page: Query[paging.PageQuery], include_archived: bool = False):
    result = paging.page(queries.memberships(request.user, include_archived=include_archived), page)
    rows = result["results"]
    members = queries.members_by_conversation([m.conversation_id for m in rows])
    result["results"] = [
        conversation_out(
            m.conversation,
            request.user,
            member=m,
            members=members[m.conversation_id],
            mentions=m.mention_count,
        )
        for m in rows
    ]
    return result


@router.post(
    "/conversations",
    response={200: ConversationOut, 201: ConversationOut},
    summary="Create a conversation (an existing dm is returned with 200)",
)
def create_conversation(request: HttpRequest, payload: ConversationIn):
    conv, created = actions.do_create_conversation(
        request.user, kind=payload.kind, members=payload.members, name=payload.name, team_id=payload.team,
        visibility=payload.visibility, topic=payload.topic,
    )  # fmt: skip
    conv = actions.access_conversation(request.user, conv.pk)
    return Status(201 if created else 200, _conversation_out(conv, request.user))


@router.get("/chat/unread", response=UnreadOut, summary="Unread totals for badges")
def unread(request: HttpRequest):
    return queries.unread_totals(request.user).__dict__


@router.get("/conversations/{int:conversation_id}", response=ConversationOut)
def get_conversation(request: HttpRequest, conversation_id: int):
    return _conversation_out(actions.access_conversation(request.user, conversation_id), request.user)


@router.patch("/conversations/{int:conversation_id}", response=ConversationOut)
def update_conversation(request: HttpRequest, conversation_id: int, payload: ConversationPatch):
    conv = actions.access_conversation(request.user, conversation_id)
    actions.do_update_conversation(request.user, conv, name=payload.name, topic=payload.topic)
    return _conversation_out(conv, request.user)


@router.get(
    "/conversations/{int:conversation_id}/members",
    response=paging.Page[MemberOut],
    summary="A conversation's members, owners first, then in joining order (paged)",
)
def list_members(request: HttpRequest, conversation_id: int, page: Query[paging.PageQuery]):
    conv = actions.access_conversation(request.user, conversation_id)
    return paging.page(queries.member_rows(conv), page, member_out)


@router.post("/conversations/{int:conversation_id}/members", response=ConversationOut)
def add_members(request: HttpRequest, conversation_id: int, payload: MembersIn):
    conv = actions.access_conversation(request.user, conversation_id)
    actions.do_add_members(request.user, conv, payload.members)
    return _conversation_out(conv, request.user)


@router.delete("/conversations/{int:conversation_id}/members/{username}", response={204: None})
def remove_member(request: HttpRequest, conversation_id: int, username: str):
    conv = actions.access_conversation(request.user, conversation_id)
    actions.do_remove_member(request.user, conv, username)
    return Status(204, None)


@router.post("/conversations/{int:conversation_id}/leave", response={204: None})
def leave(request: HttpRequest, conversation_id: int):
    conv = actions.access_conversation(request.user, conversation_id)
    actions.do_leave_conversation(request.user, conv)
    return Status(204, None)


@router.post(
    "/conversations/{int:conversation_id}/join", response=ConversationOut, summary="Join a public channel"
)
def join(request: HttpRequest, conversation_id: int):
    actions.do_join_channel(request.user, actions.access_public_channel(request.user, conversation_id))
    return _conversation_out(actions.access_conversation(request.user, conversation_id), request.user)


@router.put("/conversations/{int:conversation_id}/mute", response=ConversationOut)
def mute(request: HttpRequest, conversation_id: int, payload: MuteIn):
    conv = actions.access_conversation(request.user, conversation_id)
    actions.do_set_muted(request.user, conv, payload.muted)
    return _conversation_out(conv, request.user)


@router.post("/conversations/{int:conversation_id}/archive", response=ConversationOut)
def archive(request: HttpRequest, conversation_id: int, payload: ArchiveIn | None = None):
    conv = actions.access_conversation(request.user, conversation_id)
    actions.do_archive_conversation(request.user, conv, payload.archived if payload else True)
    return _conversation_out(conv, request.user)


@router.post("/conversations/{int:conversation_id}/read", response=ReadOut, summary="Mark as read up to seq")
def mark_read(request: HttpRequest, conversation_id: int, payload: ReadIn):
    conv = actions.access_conversation(request.user, conversation_id)
    seq = actions.do_mark_read(request.user, conv, payload.seq)
    last_seq = Conversation.objects.filter(pk=conv.pk).values_list("last_seq", flat=True).get()
    return {"conversation": conv.pk, "seq": seq, "unread": max(last_seq - seq, 0)}


@router.get(
    "/conversations/{int:conversation_id}/pins",
    response=paging.Page[MessageOut],
    summary="Pinned messages, the latest pinned first (paged)",
)
def pins(request: HttpRequest, conversation_id: int, page: Query[paging.PageQuery]):
    conv = actions.access_conversation(request.user, conversation_id)
    return paging.page(queries.pinned_messages(conv), page, message_out)


# --- Messages --------------------------------------------------------------------------------------------


@router.get("/conversations/{int:conversation_id}/messages", response=list[MessageOut])
def list_messages(request: HttpRequest, conversation_id: int, filters: Query[MessageFilters]):
    conv = actions.access_conversation(request.user, conversation_id)
    thread = None
    if filters.thread is not None:
        thread = Message.objects.filter(pk=filters.thread, conversation=conv).first()
        if thread is None:
            raise HttpError(400, "thread: この会話のメッセージを指定してください。")
    page = queries.message_page(
        conv, after=filters.after, before=filters.before, limit=filters.limit, thread=thread,
        roots_only=filters.roots_only,
    )  # fmt: skip
    return [message_out(m) for m in page]


@router.post("/conversations/{int:conversation_id}/messages", response={201: MessageOut})
def post_message(request: HttpRequest, conversation_id: int, payload: MessageIn):
    conv = actions.access_conversation(request.user, conversation_id)
    message = actions.do_post_message(
        request.user,
        conv,
        payload.body,
        thread_root_id=payload.thread_root,
        attachment_ids=payload.attachments,
    )
    return Status(
        201,
        message_out(
            message, reactions=[], attachments=list(message.attachments.all()) if payload.attachments else []
        ),
    )


def _message_out(message_id: int) -> MessageOut:
    return message_out(queries.messages_with_details(Message.objects.filter(pk=message_id)).get())


@router.get("/messages/{int:message_id}", response=MessageOut)
def get_message(request: HttpRequest, message_id: int):
    message = actions.access_message(request.user, message_id)
    return _message_out(message.pk)


@router.patch("/messages/{int:message_id}", response=MessageOut)
def edit_message(request: HttpRequest, message_id: int, payload: MessagePatch):
    message = actions.access_message(request.user, message_id)
    actions.do_edit_message(request.user, message, payload.body)
    return _message_out(message.pk)


@router.delete("/messages/{int:message_id}", response=MessageOut, summary="Delete (a tombstone remains)")
def delete_message(request: HttpRequest, message_id: int):
    message = actions.access_message(request.user, message_id)
    actions.do_delete_message(request.user, message)
    return _message_out(message.pk)


@router.get(
    "/messages/{int:message_id}/thread", response=list[MessageOut], summary="A thread: root then replies"
)
def thread(request: HttpRequest, message_id: int, after: int | None = None, limit: int = 200):
    message = actions.access_message(request.user, message_id)
    root = message if message.thread_root_id is None else Message.objects.get(pk=message.thread_root_id)
    page = queries.message_page(message.conversation, thread=root, after=after or 0, limit=limit)
    return [message_out(m) for m in page]


@router.get(
    "/messages/{int:message_id}/edits", response=list[EditOut], summary="Edit history (previous bodies)"
)
def edits(request: HttpRequest, message_id: int):
    message = actions.access_message(request.user, message_id)
    rows = MessageEdit.objects.filter(message=message).select_related("editor")
    return [
        {
            "body": e.body,
            "edited_at": e.edited_at.isoformat(),
            "editor": e.editor.username if e.editor else None,
        }
        for e in rows
    ]


def _reaction_result(message: Message, emoji: str, reacted: bool) -> dict:
    return {"emoji": emoji, "reacted": reacted, "reactions": _message_out(message.pk).reactions}


@router.post(
    "/messages/{int:message_id}/reactions", response=ReactionResult, summary="Add (or toggle) a reaction"
)
def add_reaction(request: HttpRequest, message_id: int, payload: ReactionIn):
    message = actions.access_message(request.user, message_id)
    reacted = actions.do_react(request.user, message, payload.emoji, add=None if payload.toggle else True)
    return _reaction_result(message, payload.emoji.strip(), reacted)


@router.delete("/messages/{int:message_id}/reactions/{emoji}", response=ReactionResult)
def remove_reaction(request: HttpRequest, message_id: int, emoji: str):
    message = actions.access_message(request.user, message_id)
    reacted = actions.do_react(request.user, message, emoji, add=False)
    return _reaction_result(message, emoji.strip(), reacted)


@router.post("/messages/{int:message_id}/pin", response=MessageOut)
def pin(request: HttpRequest, message_id: int, payload: PinIn | None = None):
    message = actions.access_message(request.user, message_id)
    actions.do_pin_message(request.user, message, payload.pinned if payload else True)
    return _message_out(message.pk)


@router.delete("/messages/{int:message_id}/pin", response=MessageOut)
def unpin(request: HttpRequest, message_id: int):
    message = actions.access_message(request.user, message_id)
    actions.do_pin_message(request.user, message, False)
    return _message_out(message.pk)


# --- Attachments -----------------------------------------------------------------------------------------


@router.post(
    "/conversations/{int:conversation_id}/attachments",
    response={201: AttachmentOut},
    summary="Upload a file (multipart field `file`); pass its id in the next message's `attachments`",
)
def upload(request: HttpRequest, conversation_id: int, file: File[UploadedFile]):
    conv = actions.access_conversation(request.user, conversation_id)
    try:
        attachment = do_upload_attachment(request.user, conv, file)
    except AttachmentTooLarge as exc:
        raise HttpError(
            413, f"file: {exc.limit // (1024 * 1024)} MB を超えるファイルは添付できません。"
        ) from exc
    return Status(201, attachment_out(attachment))


def _file_response(field, content_type: str, filename: str, inline: bool) -> FileResponse:
    response = FileResponse(
        field.storage.open(field.name, "rb"),
        content_type=content_type,
        as_attachment=not inline,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.get("/attachments/{int:attachment_id}", summary="Download (members only)")
def download(request: HttpRequest, attachment_id: int):
    attachment = access_attachment(request.user, attachment_id)
    inline = attachment.content_type in INLINE_TYPES
    return blob_response(request, attachment.blob, attachment.name, inline=inline)


@router.get("/attachments/{int:attachment_id}/thumbnail", summary="An image's thumbnail (members only)")
def thumbnail(request: HttpRequest, attachment_id: int):
    attachment = access_attachment(request.user, attachment_id)
    if not attachment.thumbnail:
        raise HttpError(404, "Not found.")
    return _file_response(attachment.thumbnail, thumbnail_content_type(attachment), "thumbnail", True)


# --- Teams -----------------------------------------------------------------------------------------------


@router.get("/teams", response=paging.Page[TeamOut], summary="Open teams, the person's own first (paged)")
def list_teams(request: HttpRequest, page: Query[paging.PageQuery]):
    return paging.page(
        actions.teams_for(request.user),
        page,
        lambda t: team_out(t, is_member=t.is_member, member_count=t.member_count),
    )


@router.post("/teams", response={201: TeamOut})
def create_team(request: HttpRequest, payload: TeamIn):
    team = actions.do_create_team(request.user, name=payload.name, description=payload.description)
    return Status(201, team_out(team, is_member=True, member_count=1))


@router.post(
    "/teams/department-sync", response=DepartmentSyncOut, summary="IT administrators: a team per department"
)
def sync_department(request: HttpRequest, payload: DepartmentSyncIn):
    if not is_it_admin(request.user):
        raise HttpError(403, "IT管理者だけができる操作です。")
    department = Department.objects.filter(pk=payload.department, is_active=True).first()
    if department is None:
        raise HttpError(400, "department: 所属が見つかりません。")
    result = actions.do_sync_department_team(department, actor=request.user)
    count = result.team.memberships.count()
    is_member = result.team.memberships.filter(staff=request.user).exists()
    return {
        "team": team_out(result.team, is_member=is_member, member_count=count),
        "added": result.added,
        "removed": result.removed,
    }


@router.post("/teams/{int:team_id}/join", response=TeamOut)
def join_team(request: HttpRequest, team_id: int):
    team = actions.access_team(request.user, team_id)
    actions.do_join_team(request.user, team)
    return team_out(team, is_member=True, member_count=team.memberships.count())


@router.get(
    "/teams/{int:team_id}/channels",
    response=paging.Page[ChannelOut],
    summary="A team's channels the person may see: public ones, and private ones they are in (paged)",
)
def channels(request: HttpRequest, team_id: int, page: Query[paging.PageQuery]):
    team = actions.access_team(request.user, team_id)
    return paging.page(actions.team_channels(request.user, team), page, channel_out)


# --- Webhooks --------------------------------------------------------------------------------------------


def _webhook_out(hook, token: str | None = None) -> WebhookOut:
    return WebhookOut(
        id=hook.pk,
        bot_name=hook.bot_name,
        created_at=hook.created_at,
        last_used_at=hook.last_used_at,
        token=token,
        url=f"{settings.BASE_URL.rstrip('/')}/hooks/{token}" if token else None,
        live=actions.webhook_is_live(hook),
    )


@router.get(
    "/conversations/{int:conversation_id}/webhooks",
    response=paging.Page[WebhookOut],
    summary="A conversation's live webhooks, oldest first (owners; paged)",
)
def list_webhooks(request: HttpRequest, conversation_id: int, page: Query[paging.PageQuery]):
    conv = actions.access_conversation(request.user, conversation_id)
    return paging.page(actions.webhooks_of(request.user, conv), page, _webhook_out)


@router.post("/conversations/{int:conversation_id}/webhooks", response={201: WebhookOut})
def create_webhook(request: HttpRequest, conversation_id: int, payload: WebhookIn):
    conv = actions.access_conversation(request.user, conversation_id)
    hook, token = actions.do_create_webhook(request.user, conv, payload.bot_name)
    return Status(201, _webhook_out(hook, token))


@router.post(
    "/conversations/{int:conversation_id}/webhooks/{int:webhook_id}/renew",
    response=WebhookOut,
    summary="Renew a webhook stopped because its creator left or retired (owners; they become its creator)",
)
def renew_webhook(request: HttpRequest, conversation_id: int, webhook_id: int):
    conv = actions.access_conversation(request.user, conversation_id)
    return _webhook_out(actions.do_renew_webhook(request.user, conv, webhook_id))


@router.delete("/conversations/{int:conversation_id}/webhooks/{int:webhook_id}", response={204: None})
def revoke_webhook(request: HttpRequest, conversation_id: int, webhook_id: int):
    conv = actions.access_conversation(request.user, conversation_id)
    actions.do_revoke_webhook(request.user, conv, webhook_id)
    return Status(204, None)
