"""Sharing a folder or a file with a person, a section or a conversation, read or write.

Only someone who may write the folder may share it, and only with a conversation they are in. The people
reached are told (a notification linking to the folder or file). Shares are audited: they decide who sees
what."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.chat import actions as chat_actions
from kiban.chat.models import Member
from kiban.core import audit
from kiban.files.actions import Access, field_error
from kiban.files.models import Permission, Share
from kiban.notifications.actions import notify
from kiban.org.models import Department, Membership


def _target(user, *, username: str | None, department: int | None, conversation: int | None) -> dict:
    given = [v for v in (username, department, conversation) if v not in (None, "")]
    if len(given) != 1:
        raise field_error("target", _("共有先は職員・所属・チャンネルのいずれか一つを指定してください。"))
    if username:
        staff = Staff.objects.filter(username=username, is_active=True).first()
        if staff is None:
            raise field_error("username", _("この職員は見つかりません。"))
        return {"staff": staff}
    if department is not None:
        dept = Department.objects.filter(pk=department, is_active=True).first()
        if dept is None:
            raise field_error("department", _("この所属は見つかりません。"))
        return {"department": dept}

    try:
        conv = chat_actions.access_conversation(user, int(conversation))
    except Http404:
        raise field_error("conversation", _("参加しているチャンネルを指定してください。")) from None
    return {"conversation": conv}


def recipients_of(share: Share) -> list[int]:
    if share.staff_id:
        return [share.staff_id]
    if share.department_id:
        return list(
            Membership.objects.filter(department_id=share.department_id, staff__is_active=True).values_list(
                "staff_id", flat=True
            )
        )

    return list(
        Member.objects.filter(conversation_id=share.conversation_id).values_list("staff_id", flat=True)
    )


def do_share(user, target: Access, *, permission: str, username: str | None = None,
             department: int | None = None, conversation: int | None = None) -> Share:  # fmt: skip
    """Share `target` (from access_folder/access_file(…, need="write")): its file when it has one, else its
    folder. Sharing again with the same target changes the permission."""

    if permission not in Permission.values:
        raise field_error("permission", _("read または write を指定してください。"))
    whom = _target(user, username=username, department=department, conversation=conversation)
    obj = {"file": target.file} if target.file is not None else {"folder": target.folder}
    with transaction.atomic():
        share = Share.objects.filter(**obj, **whom).first()
        if share is None:
            try:
                with transaction.atomic():
                    share = Share.objects.create(**obj, **whom, permission=permission, created_by=user)
            except IntegrityError:
                share = Share.objects.get(**obj, **whom)
        Share.objects.filter(pk=share.pk).update(permission=permission)
        share.permission = permission
        audit.record(
            "files.share", actor=user, target=target.file or target.folder, permission=permission,
            staff=getattr(whom.get("staff"), "username", None), department=getattr(whom.get("department"), "pk", None),
            conversation=getattr(whom.get("conversation"), "pk", None),
        )  # fmt: skip
        if target.file is not None:
            title = _("%(name)s さんがファイル「%(file)s」を共有しました") % {
                "name": user.get_full_name(),
                "file": target.file.name,
            }
            url = f"/files/{target.file.pk}/"
        else:
            title = _("%(name)s さんがフォルダ「%(folder)s」を共有しました") % {
                "name": user.get_full_name(),
                "folder": target.folder.name,
            }
            url = f"/files/folders/{target.folder.pk}/"
        notify(recipients_of(share), kind="files.shared", title=title, url=url, actor=user)
    return share


def access_share(user, share_id: int, target: Access) -> Share:
    share = Share.objects.filter(pk=share_id).first()
    if share is None:
        raise Http404
    if (target.file is not None and share.file_id != target.file.pk) or (
        target.file is None and share.folder_id != target.folder.pk
    ):
        raise Http404
    return share


def do_unshare(user, target: Access, share: Share) -> None:
    with transaction.atomic():
        Share.objects.filter(pk=share.pk).delete()
        audit.record("files.unshare", actor=user, target=target.file or target.folder, share=share.pk)


def shares_of(target: Access) -> QuerySet[Share]:
    """The target's shares, oldest first (a QuerySet: the API pages it)."""
    obj = {"file": target.file} if target.file is not None else {"folder": target.folder}
    return (
        Share.objects.filter(**obj)
        .select_related("staff", "department", "conversation")
        .order_by("created_at", "id")
    )
