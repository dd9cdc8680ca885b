"""Chat pages: the conversation list with a conversation beside it (separate screens on a phone), the dm
route the directory's chat button opens, conversation information (members, pins, mute, webhooks), the
channel browser, a new-chat form and message search.

Server-rendered first: every page works without JavaScript (the composer posts a form); kiban/static/kiban/
chat/chat.js then takes over for live updates. Writes go through kiban.chat.actions.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kiban.accounts.models import Staff
from kiban.chat import actions, markdown, queries
from kiban.chat import search as chat_search
from kiban.chat.actions.conversations import dm_key
from kiban.chat.attachments import max_upload_bytes
from kiban.chat.models import Conversation, Member, Message, Team
from kiban.chat.serializers import conversation_title, message_out
from kiban.core import paging
from kiban.core.schemas import dump
from kiban.core.wareki import wareki

PAGE = 50
MEMBER_PAGE = 100  # members shown per page of the info panel (the rest: "さらに表示", paged by the API)


def _time_label(value: dt.datetime) -> str:
    """Today: 14:05; another day: 令和8年11月25日 14:05 (what chat.js shows for the same message)."""
    local = timezone.localtime(value)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{wareki(local.date())} {local:%H:%M}"


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(str(m) for msgs in error.message_dict.values() for m in msgs)
    return " ".join(str(m) for m in error.messages)


def _conversation_groups(user, current: Conversation | None) -> tuple[list[dict], bool]:
    """The person's conversations for the list: channels grouped by team, then groups, then dms; each
    newest activity first. Titles of unnamed conversations come from their members' names."""
    rows = list(queries.memberships(user))
    unnamed = [m.conversation_id for m in rows if not m.conversation.name]
    members = queries.members_by_conversation(unnamed) if unnamed else {}
    team_ids = {m.conversation.team_id for m in rows if m.conversation.team_id}
    teams = {t.pk: t.name for t in Team.objects.filter(pk__in=team_ids)}
    channel_groups: dict[int | None, dict] = {}
    groups = {"group": [], "dm": []}
    for m in rows:
        conv = m.conversation
        names = [(x.staff_id, x.staff.full_name or x.staff.username) for x in members.get(conv.pk, [])]
        unread = max(conv.last_seq - m.last_read_seq, 0)
        item = {
            "id": conv.pk,
            "title": conversation_title(conv, names, user.pk) if not conv.name else conv.name,
            "url": reverse("chat:conversation", args=[conv.pk]),
            "unread": 0 if current and conv.pk == current.pk else unread,
            "mentions": 0 if current and conv.pk == current.pk else m.mention_count,
            "muted": m.muted,
            "activity": (conv.last_message_at or conv.created_at).isoformat(),
        }
        if conv.kind == Conversation.Kind.CHANNEL:
            group = channel_groups.setdefault(
                conv.team_id,
                {"kind": "channel", "label": teams.get(conv.team_id) or _("チャンネル"), "items": []},
            )
            group["items"].append(item)
        else:
            groups[conv.kind].append(item)
    result = sorted(channel_groups.values(), key=lambda g: str(g["label"]))
    if not result:
        result = [{"kind": "channel", "label": _("チャンネル"), "items": []}]
    result.append({"kind": "group", "label": _("グループ"), "items": groups["group"]})
    result.append({"kind": "dm", "label": _("ダイレクトメッセージ"), "items": groups["dm"]})
    return result, bool(rows)


def _heading(conv: Conversation, user) -> dict:
    """What a page's heading needs: the title (a dm or unnamed group is called after its other members —
    at most 100 people; a named one needs no member read) and the person's read mark."""
    names = []
    if not conv.name:
        names = [
            (m.staff_id, m.staff.full_name or m.staff.username)
            for m in conv.members.select_related("staff").order_by("joined_at", "id")
        ]
    me = getattr(conv, "membership", None)
    return {"title": conversation_title(conv, names, user.pk), "last_read_seq": me.last_read_seq if me else 0}


def _day_label(day: dt.date) -> str:
    today = timezone.localdate()
    if day == today:
        return _("今日")
    if day == today - dt.timedelta(days=1):
        return _("昨日")
    return wareki(day, weekday=True)


def _message_rows(page) -> list[dict]:
    """Message dicts with the time as shown and, on the first message of each day, the day's label."""
    rows = []
    previous = None
    for message in page:
        data = dump(message_out(message))
        data["time_label"] = _time_label(message.created_at)
        day = timezone.localtime(message.created_at).date()
        data["day_label"] = _day_label(day) if day != previous else ""
        previous = day
        rows.append(data)
    return rows


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@login_required
def index(request):
    groups, has_conversations = _conversation_groups(request.user, None)
    return render(
        request,
        "chat/index.html",
        {"groups": groups, "has_conversations": has_conversations, "nav_current": "chat"},
    )


@login_required
def conversation(request, conversation_id: int):
    try:
        conv = actions.access_conversation(request.user, conversation_id)
        is_member = True
    except Http404:
        # A public channel any staff may find: shown with a join button, its messages after joining.
        conv = actions.access_public_channel(request.user, conversation_id)
        is_member = False
    groups, has_conversations = _conversation_groups(request.user, conv if is_member else None)
    # The page does not carry the member list (a department's channel has thousands; messages carry their
    # author's name): the info panel pages through it (`GET /api/v1/conversations/{id}/members`).
    member_count = conv.members.count()
    context = {
        "conv": conv,
        "conv_data": _heading(conv, request.user),
        "is_member": is_member,
        "groups": groups,
        "has_conversations": has_conversations,
        "team": conv.team if conv.team_id else None,
        "member_count": member_count,
        "max_upload": max_upload_bytes(),
        "chat_messages": [],
        "older_before": None,
    }
    if is_member:
        before = _int_param(request, "before")
        target = _int_param(request, "seq")
        if target is not None:
            before = target + 1
        page = queries.message_page(conv, before=before, limit=PAGE, roots_only=True)
        context["chat_messages"] = _message_rows(page)
        if page and page[0].seq > 1:
            context["older_before"] = page[0].seq
    return render(request, "chat/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dm(request, username: str):
    """The dm with a colleague. A GET (the directory's chat button is a link) opens an existing dm, or shows
    a page whose button starts one; only that POST (CSRF-checked) creates it, so another site cannot make a
    signed-in person's browser open dms by linking or embedding this URL."""
    other = get_object_or_404(Staff, username=username, is_active=True)
    if request.method == "POST":
        conv, _created = actions.do_create_dm(request.user, other)
        return redirect("chat:conversation", conv.pk)
    existing = Conversation.objects.filter(dm_key=dm_key(request.user.pk, other.pk)).first()
    if existing is not None:
        return redirect("chat:conversation", existing.pk)
    return render(request, "chat/dm_start.html", {"other": other, "nav_current": "chat"})


@login_required
@require_POST
def post(request, conversation_id: int):
    """The composer without JavaScript: post (into a thread when `thread_root` is given), then show the
    conversation or the thread again."""
    conv = actions.access_conversation(request.user, conversation_id)
    root = request.POST.get("thread_root", "")
    root_id = int(root) if root.isdigit() and len(root) < 19 else None
    try:
        actions.do_post_message(request.user, conv, body=request.POST.get("body", ""), thread_root_id=root_id)
    except ValidationError as error:
        flash.error(request, _error_text(error))
    except PermissionDenied as error:
        flash.error(request, str(error))
    if root_id is not None:
        return redirect("chat:thread", conv.pk, root_id)
    return redirect("chat:conversation", conv.pk)


@login_required
def thread(request, conversation_id: int, message_id: int):
    """A thread without JavaScript: the root, its replies and a composer that answers in the thread."""
    conv = actions.access_conversation(request.user, conversation_id)
    root = get_object_or_404(Message, pk=message_id, conversation=conv, thread_root__isnull=True)
    page = queries.message_page(conv, thread=root, after=0, limit=queries.MAX_PAGE)
    rows = _message_rows(page)
    return render(
        request,
        "chat/thread.html",
        {
            "conv": conv,
            "conv_data": _heading(conv, request.user),
            "root": rows[0],
            "replies": rows[1:],
            "max_upload": max_upload_bytes(),
            "nav_current": "chat",
        },
    )


@login_required
@require_POST
def join(request, conversation_id: int):
    conv = actions.access_public_channel(request.user, conversation_id)
    actions.do_join_channel(request.user, conv)
    return redirect("chat:conversation", conv.pk)


@login_required
def info(request, conversation_id: int):
    """Members (add for those allowed, remove for owners), leave, mute, pinned messages, webhooks
    (owners of a channel or group; the URL of a new one is shown once)."""
    conv = actions.access_conversation(request.user, conversation_id)
    me = conv.membership
    if request.method == "POST":
        return _info_post(request, conv)
    offset = _int_param(request, "members") or 0
    member_page = paging.page(queries.member_rows(conv), paging.PageQuery(limit=MEMBER_PAGE, offset=offset))
    is_owner = me.role == Member.Role.OWNER
    can_add = conv.kind != Conversation.Kind.DM and (
        conv.kind == Conversation.Kind.GROUP or conv.visibility == Conversation.Visibility.PUBLIC or is_owner
    )
    hooks = []
    if is_owner and conv.kind != Conversation.Kind.DM:
        hooks = list(
            conv.webhooks.filter(revoked_at__isnull=True).select_related("created_by").order_by("created_at")
        )
        for hook in hooks:
            hook.live = actions.webhook_is_live(hook)
    return render(
        request,
        "chat/info.html",
        {
            "conv": conv,
            "conv_data": _heading(conv, request.user),
            "members": [
                {
                    "username": m.staff.username,
                    "name": m.staff.full_name or m.staff.username,
                    "owner": m.role == Member.Role.OWNER,
                    "removable": is_owner
                    and m.staff_id != request.user.pk
                    and conv.kind != Conversation.Kind.DM,
                }
                for m in member_page["results"]
            ],
            "member_count": conv.members.count(),
            "members_offset": offset,
            "members_next": offset + MEMBER_PAGE if member_page["more"] else None,
            "members_previous": max(offset - MEMBER_PAGE, 0) if offset else None,
            "member_page_size": MEMBER_PAGE,
            "me": me,
            "is_owner": is_owner,
            "can_add": can_add and conv.archived_at is None,
            "pins": _message_rows(queries.pinned_messages(conv)),
            "hooks": hooks,
            "new_hook_url": request.session.pop(f"chat-hook-{conv.pk}", None),
            "nav_current": "chat",
        },
    )


def _info_post(request, conv: Conversation):
    op = request.POST.get("op", "")
    back = redirect("chat:info", conv.pk)
    try:
        if op == "mute":
            actions.do_set_muted(request.user, conv, request.POST.get("muted") == "1")
        elif op == "add":
            usernames = (
                request.POST.getlist("members") or request.POST.get("usernames", "").replace(",", " ").split()
            )
            added = actions.do_add_members(request.user, conv, usernames)
            flash.success(request, _("%(n)d人を追加しました。") % {"n": len(added)})
        elif op == "remove":
            actions.do_remove_member(request.user, conv, request.POST.get("username", ""))
        elif op == "leave":
            actions.do_leave_conversation(request.user, conv)
            flash.success(request, _("会話から退出しました。"))
            return redirect("chat:index")
        elif op == "rename":
            actions.do_update_conversation(
                request.user, conv, name=request.POST.get("name", ""), topic=request.POST.get("topic", "")
            )
        elif op == "archive":
            actions.do_archive_conversation(request.user, conv, request.POST.get("archived") == "1")
        elif op == "hook-create":
            _hook, token = actions.do_create_webhook(
                request.user, conv, bot_name=request.POST.get("bot_name", "")
            )
            # Shown once on the next page; only its hash is stored.
            request.session[f"chat-hook-{conv.pk}"] = request.build_absolute_uri(f"/hooks/{token}")
        elif op == "hook-renew":
            hook = request.POST.get("hook", "")
            if not (hook.isascii() and hook.isdigit() and len(hook) <= 18):
                return HttpResponseBadRequest(_("Webhook の指定が正しくありません。"))
            actions.do_renew_webhook(request.user, conv, int(hook))
            flash.success(request, _("Webhook を引き継ぎました。あなたの権限で投稿を再開します。"))
        elif op == "hook-revoke":
            hook = request.POST.get("hook", "")
            # ASCII digits that fit a database integer ("abc", "²" or 10**30 must not reach the query).
            if not (hook.isascii() and hook.isdigit() and len(hook) <= 18):
                return HttpResponseBadRequest(_("Webhook の指定が正しくありません。"))
            actions.do_revoke_webhook(request.user, conv, int(hook))
        else:
            raise Http404
    except ValidationError as error:
        flash.error(request, _error_text(error))
    except PermissionDenied as error:
        flash.error(request, str(error) or _("この操作はできません。"))
    return back


@login_required
def browse(request):
    """Public channels any staff may join, with the teams the person belongs to first."""
    query = request.GET.get("q", "")[:100].strip()
    channels = Conversation.objects.filter(
        kind=Conversation.Kind.CHANNEL,
        visibility=Conversation.Visibility.PUBLIC,
        archived_at__isnull=True,
    ).select_related("team")
    if query:
        channels = channels.filter(name__icontains=query)
    joined = set(
        Member.objects.filter(staff=request.user, conversation__in=channels).values_list(
            "conversation_id", flat=True
        )
    )
    rows = [{"conv": c, "joined": c.pk in joined} for c in channels.order_by("team__name", "name")[:200]]
    teams = list(actions.teams_for(request.user)[:200])
    return render(
        request,
        "chat/browse.html",
        {
            "channels": rows,
            "query": query,
            "teams": teams,
            "is_team_member": any(t.is_member for t in teams),
            "nav_current": "chat",
        },
    )


@login_required
@require_POST
def join_team(request, team_id: int):
    """Join a team (and its 一般 channel): its channels then come first in the list."""
    team = actions.access_team(request.user, team_id)
    if actions.do_join_team(request.user, team):
        flash.success(request, _("チーム「%(name)s」に参加しました。") % {"name": team.name})
    return redirect("chat:browse")


@login_required
def new(request):
    """Start a dm or a group chat (members picked with the staff search), or a channel in one's team."""
    teams = list(
        Team.objects.filter(memberships__staff=request.user, archived_at__isnull=True).order_by("name")
    )
    if request.method == "POST":
        kind = request.POST.get("kind", "group")
        usernames = (
            request.POST.getlist("members") or request.POST.get("usernames", "").replace(",", " ").split()
        )
        team = request.POST.get("team", "")
        try:
            conv, _created = actions.do_create_conversation(
                request.user,
                kind=kind,
                members=usernames,
                name=request.POST.get("name", ""),
                team_id=int(team) if team.isdigit() else None,
                visibility=request.POST.get("visibility") or None,
            )
        except ValidationError as error:
            flash.error(request, _error_text(error))
        else:
            return redirect("chat:conversation", conv.pk)
    return render(request, "chat/new.html", {"teams": teams, "nav_current": "chat"})


@login_required
def search(request):
    """Message search over what the person may read (kiban.chat.search); results, newest first, link into
    the conversation at the message (`?seq=N`). `before` pages on by message id."""
    query = request.GET.get("q", "")[:200].strip()
    conv_id = _int_param(request, "conversation")
    person = request.GET.get("person", "")[:150].strip()
    before = _int_param(request, "before")
    hits, more, error = None, False, ""
    if query:
        try:
            result = chat_search.search_messages(
                request.user,
                query,
                conversation_id=conv_id,
                author_username=person or None,
                date_from=_parse_date(request.GET.get("since", "")),
                date_to=_parse_date(request.GET.get("until", "")),
                before_id=before,
            )
        except ValidationError as exc:
            error = _error_text(exc)
        except Http404:
            error = _("その会話は検索できません。")
        else:
            more = result.more
            convs = {m.conversation_id: m.conversation for m in result.messages}
            titles = chat_search.conversation_titles(request.user, list(convs.values()))
            hits = [
                {
                    "id": m.pk,
                    "conversation": m.conversation_id,
                    "conv_title": titles.get(m.conversation_id, ""),
                    "seq": m.seq,
                    "author_name": (m.author.full_name or m.author.username) if m.author else m.bot_name,
                    "when": _time_label(m.created_at),
                    "highlighted": highlight(markdown.plain_text(m.html), query),
                }
                for m in result.messages
            ]
    groups, _has = _conversation_groups(request.user, None)
    choices = sorted(
        ((item["id"], item["title"]) for group in groups for item in group["items"]), key=lambda c: str(c[1])
    )
    next_query = request.GET.copy()
    if hits:
        next_query["before"] = str(hits[-1]["id"])
    return render(
        request,
        "chat/search.html",
        {
            "query": query,
            "hits": hits,
            "more": more,
            "next_query": next_query.urlencode(),
            "error": error,
            "conversation": conv_id,
            "person": person,
            "since": request.GET.get("since", ""),
            "until": request.GET.get("until", ""),
            "conversations": choices,
            "nav_current": "chat",
        },
    )


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def highlight(text: str, query: str, *, limit: int = 240) -> str:
    """The body (shortened around the first match) with each query word in <mark>; everything else
    escaped, so a body can never become markup here."""
    words = sorted({w for w in query.split() if w}, key=len, reverse=True)
    lowered = text.lower()
    first = min((i for w in words if (i := lowered.find(w.lower())) >= 0), default=0)
    start = max(first - limit // 3, 0)
    text = ("…" if start else "") + text[start : start + limit] + ("…" if len(text) > start + limit else "")
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    parts, pos = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[pos : match.start()]))
        parts.append(format_html("<mark>{}</mark>", match.group(0)))
        pos = match.end()
    parts.append(escape(text[pos:]))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part above is escaped
