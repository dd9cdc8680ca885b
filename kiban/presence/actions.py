"""Every write of the presence module: a status set by hand, watches, the minute job's publishing of derived
changes, and phone memos. Each write is one transaction, audited where a person acts on another's behalf or
on another's record; events are published with `kiban.realtime.publish` (delivered after commit)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.chat.actions.conversations import do_create_dm
from kiban.chat.actions.messages import do_post_message, do_set_card
from kiban.chat.models import Message
from kiban.core import audit
from kiban.core.permissions import is_it_admin
from kiban.notifications.actions import notify
from kiban.org import queries as org_queries
from kiban.presence import queries
from kiban.presence.events import PhoneMemoCreated, PhoneMemoUpdated
from kiban.presence.models import PhoneMemo, Presence, Status, Watch
from kiban.presence.schemas import PresenceOut
from kiban.presence.serializers import memo_out
from kiban.realtime import publish
from kiban.realtime.events import PresenceChanged

Staff = get_user_model()

# A page that shows someone's presence receives their changes for this long after its last read of
# GET /api/v1/presence; presence.js reads again every few minutes while the page is open.
WATCH_FOR = dt.timedelta(minutes=10)
RENEW_WITHIN = dt.timedelta(minutes=5)
MAX_WATCHED = 500
MAX_SET_AHEAD = dt.timedelta(days=31)


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


# --- presence --------------------------------------------------------------------------------------------


def may_set_for(actor, person) -> bool:
    """Oneself; or a section administrator (所属長 of a section the person belongs to), or an IT administrator."""
    if actor.pk == person.pk or is_it_admin(actor):
        return True
    sections = org_queries.section_ids_of(person)
    return any(m.is_head and m.department_id in sections for m in org_queries.sections_of(actor))


def _row_for_update(user_id: int) -> Presence:
    """The person's row, created if missing, locked for this transaction (the unique key decides a race)."""
    Presence.objects.bulk_create([Presence(user_id=user_id)], ignore_conflicts=True)
    return Presence.objects.select_for_update().get(user_id=user_id)


def do_set_presence(
    actor,
    person,
    *,
    status: str,
    destination: str = "",
    until: dt.datetime | None = None,
    note: str = "",
    request=None,
) -> PresenceOut:
    """Set `person`'s status by hand (the actor is the person, or may set it for them: `may_set_for`, else
    Http404 for an outsider). It holds until `until`, or to the end of the day without one. Publishes
    `presence.changed` to the person and those watching them. Bad input raises ValidationError naming the
    field; nothing is written."""
    if not may_set_for(actor, person):
        raise Http404
    if status not in Status.values:
        raise field_error(
            "status", _("状態は %(choices)s のいずれかです。") % {"choices": ", ".join(Status.values)}
        )
    destination = (destination or "").strip()
    note = (note or "").strip()
    if len(destination) > 100:
        raise field_error("destination", _("行先は100文字以内で入力してください。"))
    if len(note) > 200:
        raise field_error("note", _("備考は200文字以内で入力してください。"))
    now = timezone.now()
    if until is not None:
        if timezone.is_naive(until):
            until = timezone.make_aware(until)
        if until <= now:
            raise field_error("until", _("戻り予定は現在より後の日時にしてください。"))
        if until > now + MAX_SET_AHEAD:
            raise field_error("until", _("戻り予定は31日以内にしてください。"))
    with transaction.atomic():
        row = _row_for_update(person.pk)
        row.status = status
        row.destination = destination
        row.until = until
        row.note = note
        row.expires_at = until or queries.end_of_day(now)
        row.set_by = actor
        row.updated_at = now
        row.save(
            update_fields=["status", "destination", "until", "note", "expires_at", "set_by", "updated_at"]
        )
        out = queries.presence_of([person], now)[person.pk]
        row.published = out.model_dump_json()
        row.save(update_fields=["published"])
        if actor.pk != person.pk:
            audit.record(
                "presence.set_for", actor=actor, target=person, request=request,
                status=status, destination=destination,
            )  # fmt: skip
        publish(_audience(person.pk, now), PresenceChanged(presence=out))
    return out


def do_clear_presence(actor, person, *, request=None) -> PresenceOut:
    """Drop the status set by hand: the calendar and the clock decide again."""
    if not may_set_for(actor, person):
        raise Http404
    now = timezone.now()
    with transaction.atomic():
        row = _row_for_update(person.pk)
        row.status, row.destination, row.until, row.note, row.expires_at = "", "", None, "", None
        row.set_by, row.updated_at = actor, now
        out = queries.presence_of([person], now)[person.pk]
        row.published = out.model_dump_json()
        row.save()
        if actor.pk != person.pk:
            audit.record("presence.clear_for", actor=actor, target=person, request=request)
        publish(_audience(person.pk, now), PresenceChanged(presence=out))
    return out


def _audience(user_id: int, now: dt.datetime) -> list[int]:
    """The person (their other devices) and everyone with a page open that shows them."""
    watchers = Watch.objects.filter(user_id=user_id, expires_at__gt=now).values_list("watcher_id", flat=True)
    return [user_id, *watchers]


def do_watch(viewer, user_ids: Iterable[int], now: dt.datetime | None = None) -> None:
    """`viewer` has a page open showing these people: they get their `presence.changed` events for
    WATCH_FOR. Written only when missing or about to lapse (a page polling every few minutes writes once
    per person per five minutes); an upsert, so two tabs at once do not collide."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(int(uid) for uid in user_ids))[:MAX_WATCHED]
    if not ids:
        return
    fresh = set(
        Watch.objects.filter(
            watcher_id=viewer.pk, user_id__in=ids, expires_at__gt=now + RENEW_WITHIN
        ).values_list("user_id", flat=True)
    )
    todo = [uid for uid in ids if uid not in fresh]
    if todo:
        Watch.objects.bulk_create(
            [Watch(watcher_id=viewer.pk, user_id=uid, expires_at=now + WATCH_FOR) for uid in todo],
            update_conflicts=True,
            unique_fields=["watcher", "user"],
            update_fields=["expires_at"],
        )


def publish_changes(now: dt.datetime | None = None, batch: int = 500) -> int:
    """Publish `presence.changed` for every watched person whose presence changed since last published (a
    meeting began or ended, a status set by hand lapsed, 退庁). Only people someone is looking at are
    computed. Returns how many changed. The conditional UPDATE on `published` means a concurrent manual
    change (which publishes itself) is not announced twice with a stale value."""
    now = now or timezone.now()
    Watch.objects.filter(expires_at__lt=now - dt.timedelta(hours=1)).delete()
    watched = sorted(set(Watch.objects.filter(expires_at__gt=now).values_list("user_id", flat=True)))
    changed = 0
    for start in range(0, len(watched), batch):
        ids = watched[start : start + batch]
        people = list(Staff.objects.filter(pk__in=ids, is_active=True).only("id", "username"))
        current = queries.presence_of(people, now)
        Presence.objects.bulk_create([Presence(user_id=uid) for uid in ids], ignore_conflicts=True)
        stored = dict(Presence.objects.filter(user_id__in=ids).values_list("user_id", "published"))
        for uid, out in current.items():
            text = out.model_dump_json()
            if stored.get(uid) == text:
                continue
            with transaction.atomic():
                if not Presence.objects.filter(user_id=uid, published=stored.get(uid, "")).update(
                    published=text
                ):
                    continue
                publish(_audience(uid, now), PresenceChanged(presence=out))
            changed += 1
    return changed


# --- phone memos -----------------------------------------------------------------------------------------

_PHONE_RE = re.compile(r"^\+?[0-9()\- ]{0,30}$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<@])")


def _md(text: str) -> str:
    """Caller-provided text as literal Markdown (no links, mentions or formatting of its own)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def access_memo(user, memo_id: int) -> PhoneMemo:
    """The memo, for the person it is for or the one who took it; anyone else: Http404."""
    memo = PhoneMemo.objects.select_related("to", "taken_by").filter(pk=memo_id).first()
    if memo is None or user.pk not in (memo.to_id, memo.taken_by_id):
        raise Http404
    return memo


def do_take_memo(
    taker,
    to,
    *,
    caller_name: str,
    caller_org: str = "",
    caller_phone: str = "",
    message: str = "",
    action: str = PhoneMemo.Action.CALL_BACK,
    called_at: dt.datetime | None = None,
    request=None,
) -> PhoneMemo:
    """Take a memo for `to` (an active colleague, not oneself). In one transaction: the memo, a
    notification, a dm from the taker carrying it (with a tel: link and a link to the memo list), and the
    `phone_memo.created` event. Bad input raises ValidationError naming the field; nothing is written."""
    caller_name = (caller_name or "").strip()
    caller_org = (caller_org or "").strip()
    caller_phone = (
        unicodedata.normalize("NFKC", caller_phone or "").strip().replace("‐", "-").replace("ー", "-")
    )
    message = (message or "").strip()
    if to is None or not to.is_active:
        raise field_error("to", _("宛先の職員が見つかりません。"))
    if to.pk == taker.pk:
        raise field_error("to", _("自分宛ての電話メモは作れません。"))
    if not caller_name:
        raise field_error("caller_name", _("相手の氏名を入力してください。"))
    if len(caller_name) > 100:
        raise field_error("caller_name", _("相手の氏名は100文字以内で入力してください。"))
    if len(caller_org) > 100:
        raise field_error("caller_org", _("相手の所属は100文字以内で入力してください。"))
    if not _PHONE_RE.match(caller_phone):
        raise field_error("caller_phone", _("電話番号は数字・ハイフン・括弧で30文字以内で入力してください。"))
    if len(message) > 1000:
        raise field_error("message", _("用件は1000文字以内で入力してください。"))
    if action not in PhoneMemo.Action.values:
        raise field_error("action", _("対応は call_back, will_call_again, fyi のいずれかです。"))
    now = timezone.now()
    if called_at is not None:
        if timezone.is_naive(called_at):
            called_at = timezone.make_aware(called_at)
        if called_at > now + dt.timedelta(minutes=5) or called_at < now - dt.timedelta(days=7):
            raise field_error("called_at", _("受付日時は過去7日以内にしてください。"))
    with transaction.atomic():
        memo = PhoneMemo.objects.create(
            to=to, taken_by=taker, caller_name=caller_name, caller_org=caller_org,
            caller_phone=caller_phone, message=message, action=action, called_at=called_at or now,
            created_at=now,
        )  # fmt: skip
        who = f"{caller_org} {caller_name}".strip()
        action_label = str(PhoneMemo.Action(action).label)
        notify(
            [to.pk], kind="presence.phone_memo",
            title=_("電話メモ: %(who)s様から（%(action)s）") % {"who": who, "action": action_label},
            body=message, url="/presence/memos/", actor=taker,
        )  # fmt: skip
        conv, _created = do_create_dm(taker, to)
        chat = do_post_message(
            taker, conv, _chat_summary(memo, who, action_label), card=memo_card(memo, who, action_label)
        )
        memo.chat_message_id = chat.pk
        memo.save(update_fields=["chat_message_id"])
        audit.record("presence.memo_taken", actor=taker, target=memo, request=request, to=to.username)
        publish([to.pk], PhoneMemoCreated(memo=memo_out(memo)))
    return memo


def _chat_summary(memo: PhoneMemo, who: str, action_label: str) -> str:
    """The message's text: a summary for clients that do not draw the card (notifications, email)."""
    return _md(_("電話メモ: %(who)s様から（%(action)s）") % {"who": who, "action": action_label})


def memo_card(memo: PhoneMemo, who: str, action_label: str) -> dict:
    """The chat card of a memo: who called and when, the message, a call button, and "done" (for the person
    it is for: the endpoint refuses anyone else)."""
    local = timezone.localtime(memo.called_at)
    lines = [_("%(who)s様 %(time)s") % {"who": who, "time": f"{local:%H:%M}"}, action_label]
    lines.extend(line for line in memo.message.splitlines() if line.strip())
    links = []
    if memo.caller_phone:
        digits = re.sub(r"[^0-9+]", "", memo.caller_phone)
        if digits:
            links.append(
                {"label": _("%(phone)s に電話") % {"phone": memo.caller_phone}, "url": f"tel:{digits}"}
            )
    links.append({"label": _("電話メモ一覧"), "url": f"/presence/memos/#memo-{memo.pk}"})
    card = {
        "title": _("電話メモ"),
        "lines": lines[:20],
        "links": links,
        "actions": [{"label": _("済にする"), "post": f"/api/v1/phone-memos/{memo.pk}/done", "primary": True}],
    }
    if memo.done_at is not None:
        card["actions"] = []
        card["done"] = _("対応済み %(time)s") % {"time": f"{timezone.localtime(memo.done_at):%H:%M}"}
    return card


def do_mark_read(user, memos: Iterable[PhoneMemo]) -> int:
    """The person read these memos of theirs (their list was shown): `read_at` set once (a conditional
    UPDATE), and the takers are told."""
    ids = [m.pk for m in memos if m.to_id == user.pk and m.read_at is None]
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        updated = list(
            PhoneMemo.objects.select_for_update().filter(pk__in=ids, to=user, read_at__isnull=True)
        )
        if not updated:
            return 0
        PhoneMemo.objects.filter(pk__in=[m.pk for m in updated]).update(read_at=now)
        for memo in PhoneMemo.objects.select_related("to", "taken_by").filter(pk__in=[m.pk for m in updated]):
            publish([memo.to_id, memo.taken_by_id], PhoneMemoUpdated(memo=memo_out(memo)))
    return len(updated)


def do_mark_done(user, memo: PhoneMemo, *, request=None) -> PhoneMemo:
    """Only the person the memo is for marks it done (the taker gets 404 here too: it is not theirs to
    close). Idempotent: done twice keeps the first time."""
    if memo.to_id != user.pk:
        raise Http404
    now = timezone.now()
    with transaction.atomic():
        if PhoneMemo.objects.filter(pk=memo.pk, done_at__isnull=True).update(done_at=now):
            PhoneMemo.objects.filter(pk=memo.pk, read_at__isnull=True).update(read_at=now)
            memo = PhoneMemo.objects.select_related("to", "taken_by").get(pk=memo.pk)
            audit.record("presence.memo_done", actor=user, target=memo, request=request)
            chat = Message.objects.filter(pk=memo.chat_message_id, deleted_at__isnull=True).first()
            if chat is not None and chat.card:
                who = f"{memo.caller_org} {memo.caller_name}".strip()
                do_set_card(chat, memo_card(memo, who, str(PhoneMemo.Action(memo.action).label)))
            publish([memo.to_id, memo.taken_by_id], PhoneMemoUpdated(memo=memo_out(memo)))
        else:
            memo = PhoneMemo.objects.select_related("to", "taken_by").get(pk=memo.pk)
    return memo
