"""Demo data of this module for 架空県 (called by kiban.org.demo.load_demo after the organisation exists):
department teams kept from the organisation tree, an all-staff team with public channels (全庁お知らせ,
防災, 情報システム相談), a private channel, dms and group chats between section colleagues, and a few
hundred messages in the voice of a prefectural office, with threads, reactions and mentions.

Bulk inserts with seq and last_seq set directly (no events, no notifications: nobody is connected yet),
except the messages to the administrator — a dm and a mention — which go through `do_post_message` so that
`admin` finds them as notifications, as a real user would. Every message is dated in office hours (8:30–17:15
on working days, Asia/Tokyo) and none later than the moment the demo is loaded.
The all-staff channels hold every demo person whatever `--staff N` is (that is the scale to show: a post
to 5,000 people); the rest is bounded: at most MAX_SECTIONS sections get their chats, and there are never
more than MAX_MESSAGES messages.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from kiban.accounts.models import Staff
from kiban.chat.actions.conversations import dm_key
from kiban.chat.actions.messages import do_post_message
from kiban.chat.actions.teams import do_sync_department_team
from kiban.chat.markdown import render
from kiban.chat.models import Conversation, Member, Message, Reaction, Team, TeamMember
from kiban.core.wareki import holiday_name
from kiban.notifications.models import Notification
from kiban.org.models import Department, Membership

SEED = 20260401
MAX_SECTIONS = 30
MAX_MESSAGES = 2000
DEPARTMENT_TEAMS = ("020000", "030000", "090000", "060000")
BATCH = 1000

ANNOUNCEMENTS = [
    "【お知らせ】年末年始の庁舎管理について、12月28日から1月3日まで本庁舎の通用口のみ開錠します。",
    "**職員研修のご案内**\n- 対象：採用2年目の職員\n- 日時：来週水曜 13:30〜16:30\n- 場所：本庁舎7階 大会議室",
    "ストレスチェックの受検期限は今月末です。未受検の方は「アンケート・照会」から回答をお願いします。",
    "本日17時から庁内ネットワークの定期メンテナンスを行います。18時頃まで共有フォルダが使えません。",
    "令和8年度の予算見積書の提出期限は10月31日です。様式は財政課のフォルダにあります。",
    "> 節電のお願い\n> 昼休みは執務室の照明を消灯してください。",
    "人事異動の内示は3月中旬の予定です。詳細は各所属長からお知らせします。",
    "県民相談窓口の年末年始の体制表を「ファイル」の全庁共有フォルダに置きました。",
]
BOUSAI = [
    "気象台から大雨警報が発表されました。各部局の連絡員は 防災危機管理課 からの連絡に備えてください。",
    "**防災訓練**は9月1日 10:00開始です。\n1. このチャンネルで所属ごとに人数を報告\n2. 避難経路の確認\n3. 参集訓練",
    "河川の水位情報です。https://example.lg.jp/kasen/suii 現在、氾濫注意水位を下回っています。",
    "災害対策本部の設置基準を再確認してください。夜間の参集要員名簿は更新済みです。",
    "震度4の地震が観測されました。庁舎被害の有無を各所属で確認し、報告してください。",
    "備蓄品の点検を今週中に行います。各フロアの担当者はチェックリストの提出をお願いします。",
]
IT_HELP = [
    "プリンターで「用紙サイズが違います」と表示されて印刷できません。どなたか対処法をご存じですか？",
    "Web会議で音声が聞こえない場合は、ヘッドセットの接続先を確認してください。`設定 > オーディオ` から選べます。",
    "LGWAN側のメールに添付できる容量の上限は10MBです。大きなファイルは庁内ファイル共有をご利用ください。",
    "パスワードは、右上のアカウントメニューの「パスワードの変更」から変更できます。",
    "新しいノートPCの配布は来月から順次行います。対象所属には別途ご連絡します。",
    "Web会議は、チャットの会話の「会議」ボタンか、予定の「オンライン会議」から始められます。",
]
SECTION_TALK = [
    "おはようございます。本日の打合せは10時から第3会議室です。",
    "議会答弁の資料、修正版を「ファイル」の課のフォルダに置きました。ご確認をお願いします。",
    "午後から出張のため、15時以降の電話対応をお願いできますか。",
    "了解しました。",
    "ありがとうございます！",
    "決裁文書を回しました。課長の押印待ちです。",
    "県民の方からの問い合わせ、折り返しの電話をお願いします。内線2105です。",
    "来週の視察の行程表を作成しました。*確定版*ではないので注意してください。",
    "昨日の会議録をまとめました。修正があればお知らせください。",
    "例規集の改正案について、法制係に照会中です。",
    "お疲れさまです。明日は年休をいただきます。",
    "予算要求資料の数字、最新の見込みに更新しました。",
]
REPLIES = [
    "承知しました。",
    "確認します。",
    "対応済みです。",
    "ありがとうございます。",
    "よろしくお願いします。",
]
EMOJIS = ["👍", "🙇", "✅", "👀", "🎉"]


def _chunked_create(model, rows):
    return model.objects.bulk_create(rows, batch_size=BATCH)


TOKYO = ZoneInfo("Asia/Tokyo")
OFFICE_START = dt.time(8, 30)
OFFICE_END = dt.time(17, 15)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, not a public holiday, not 年末年始 (29 December to 3 January)."""
    new_year = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() < 5 and not new_year and holiday_name(day) is None


def _previous_working_day(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _latest_office_moment(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(TOKYO).replace(second=0, microsecond=0)
    day = local.date()
    if is_working_day(day) and local.time() >= OFFICE_START:
        return min(local, dt.datetime.combine(day, OFFICE_END, TOKYO))
    return dt.datetime.combine(_previous_working_day(day), OFFICE_END, TOKYO)


def office_times(count: int, now: dt.datetime, rng: random.Random) -> list[dt.datetime]:
    """`count` moments, oldest first, a few minutes apart, each in office hours on a working day, the last
    at or before `now` — when staff really write."""
    cursor = _latest_office_moment(now)
    times: list[dt.datetime] = []
    for _ in range(count):
        times.append(cursor)
        cursor -= dt.timedelta(minutes=rng.randint(2, 12))
        opened = dt.datetime.combine(cursor.date(), OFFICE_START, TOKYO)
        if cursor < opened:
            # Carry the rest of the gap into the end of the previous working day.
            cursor = dt.datetime.combine(_previous_working_day(cursor.date()), OFFICE_END, TOKYO) - (
                opened - cursor
            )
    return times[::-1]


class _Writer:
    """Collects messages per conversation and gives them consecutive seqs; `date` then spreads them over
    office hours in the order they were added (so a reply is always later than its root)."""

    def __init__(self, placeholder: dt.datetime) -> None:
        self.placeholder = placeholder
        self.seq: dict[int, int] = defaultdict(int)
        self.messages: list[Message] = []

    def date(self, times: list[dt.datetime]) -> None:
        for message, at in zip(self.messages, times, strict=False):
            message.created_at = at

    def add(
        self, conv: Conversation, author_id: int | None, body: str, *, bot: str = "", root=None, mentions=None
    ):
        if len(self.messages) >= MAX_MESSAGES:
            return None
        self.seq[conv.pk] += 1
        message = Message(
            conversation=conv, seq=self.seq[conv.pk], author_id=author_id, bot_name=bot, body=body,
            html=render(body, mentions or {}), created_at=self.placeholder, thread_root=root,
        )  # fmt: skip
        self.messages.append(message)
        return message


def _department_members(code: str) -> list[int]:
    department = Department.objects.filter(code=code).first()
    if department is None:
        return []
    return list(Membership.objects.filter(department=department).values_list("staff_id", flat=True))


def load_demo(say: Callable[[str], None]) -> dict:
    rng = random.Random(SEED)
    staff = list(
        Staff.objects.filter(is_active=True)
        .order_by("id")
        .values_list("id", "username", "family_name", "given_name")
    )
    if not staff:
        return {}
    names = {sid: (username, f"{family} {given}".strip()) for sid, username, family, given in staff}
    admin_id = next((sid for sid, username, *_ in staff if username == "admin"), staff[0][0])
    counts: dict[str, int] = {}

    # Department teams through the real sync (it is the feature being shown).
    for code in DEPARTMENT_TEAMS:
        department = Department.objects.filter(code=code).first()
        if department is not None:
            do_sync_department_team(department)
    counts["chat_department_teams"] = Team.objects.filter(department__isnull=False).count()

    now = timezone.now()
    writer = _Writer(now)
    with transaction.atomic():
        everyone = [sid for sid, *_ in staff]  # all of them: no cap
        team = Team.objects.create(name="架空県庁", description="全職員向けのお知らせと相談")
        TeamMember.objects.bulk_create(
            [
                TeamMember(team=team, staff_id=sid, role="owner" if sid == admin_id else "member")
                for sid in everyone
            ],
            batch_size=BATCH,
        )
        channels = {}
        for name, topic in (
            ("全庁お知らせ", "庁内の連絡事項"),
            ("防災", "災害・訓練・気象情報"),
            ("情報システム相談", "PC・ネットワーク・アカウントの相談窓口"),
        ):
            channels[name] = Conversation.objects.create(
                kind="channel", name=name, topic=topic, team=team, visibility="public", created_by_id=admin_id
            )
            Member.objects.bulk_create(
                [
                    Member(
                        conversation=channels[name],
                        staff_id=sid,
                        role="owner" if sid == admin_id else "member",
                    )
                    for sid in everyone
                ],
                batch_size=BATCH,
            )

        soumu_team = Team.objects.filter(department__code="020000").first()
        jinji = _department_members("020200") or everyone[:6]
        private = Conversation.objects.create(
            kind="channel", name="人事異動準備", topic="内示前の調整（関係者のみ）", team=soumu_team,
            visibility="private", created_by_id=jinji[0],
        )  # fmt: skip
        private_members = list(dict.fromkeys([*jinji[:5], admin_id]))
        Member.objects.bulk_create(
            [
                Member(conversation=private, staff_id=sid, role="owner" if i == 0 else "member")
                for i, sid in enumerate(private_members)
            ]
        )

        # Section colleagues: a dm and a group chat per section (bounded).
        sections = defaultdict(list)
        for staff_id, department_id in (
            Membership.objects.filter(is_primary=True)
            .order_by("department_id", "rank", "id")
            .values_list("staff_id", "department_id")
        ):
            sections[department_id].append(staff_id)
        section_ids = sorted(sections, key=lambda d: (-len(sections[d]), d))[:MAX_SECTIONS]
        section_convs: list[tuple[Conversation, list[int]]] = []
        for department_id in section_ids:
            people = sections[department_id]
            if len(people) < 2:
                continue
            a, b = people[0], people[1]
            dm = Conversation.objects.create(kind="dm", dm_key=dm_key(a, b), created_by_id=a)
            Member.objects.bulk_create(
                [
                    Member(conversation=dm, staff_id=a, role="owner"),
                    Member(conversation=dm, staff_id=b, role="owner"),
                ]
            )
            section_convs.append((dm, [a, b]))
            group_people = people[:6]
            if len(group_people) >= 3:
                group = Conversation.objects.create(
                    kind="group", name="係内連絡", created_by_id=group_people[0]
                )
                Member.objects.bulk_create(
                    [
                        Member(conversation=group, staff_id=sid, role="owner" if i == 0 else "member")
                        for i, sid in enumerate(group_people)
                    ]
                )
                section_convs.append((group, group_people))
        admin_dm_partner = (
            everyone[0] if everyone[0] != admin_id else (everyone[1] if len(everyone) > 1 else admin_id)
        )
        admin_dm = Conversation.objects.create(
            kind="dm", dm_key=dm_key(admin_id, admin_dm_partner), created_by_id=admin_dm_partner
        )
        Member.objects.bulk_create(
            [
                Member(conversation=admin_dm, staff_id=sid, role="owner")
                for sid in {admin_id, admin_dm_partner}
            ]
        )

        # Messages: roots first, then replies (replies come later, so their seqs are higher).
        pick = lambda pool: rng.choice(pool)  # noqa: E731
        for body in ANNOUNCEMENTS:
            writer.add(channels["全庁お知らせ"], admin_id, body)
        writer.add(channels["防災"], None, "【気象情報】大雨注意報が発表されました。", bot="防災情報システム")
        for body in BOUSAI:
            writer.add(channels["防災"], pick(everyone), body)
        it_roots = [writer.add(channels["情報システム相談"], pick(everyone), body) for body in IT_HELP]
        for conv, people in section_convs:
            for _ in range(rng.randint(8, 20)):
                writer.add(conv, pick(people), pick(SECTION_TALK))
        for body in (
            "人事異動の内示案、第2版を共有します。取扱注意でお願いします。",
            "兼務発令の対象者リストを更新しました。",
        ):
            writer.add(private, private_members[0], body)
        Message.objects.bulk_create(writer.messages, batch_size=BATCH)
        roots = list(writer.messages)

        reply_rows = []
        for root in [m for m in it_roots if m is not None] + [
            m for m in roots[:40] if m.conversation.kind != "dm"
        ][::4]:
            for _ in range(rng.randint(1, 3)):
                reply = writer.add(root.conversation, pick(everyone[:50]), pick(REPLIES), root=root)
                if reply is not None:
                    reply_rows.append(reply)
        # Two more moments, the latest, for the messages to the administrator posted below.
        times = office_times(len(writer.messages) + 2, now, rng)
        writer.date(times)
        Message.objects.bulk_update(roots, ["created_at"], batch_size=BATCH)
        Message.objects.bulk_create(reply_rows, batch_size=BATCH)
        per_root: dict[int, list[Message]] = defaultdict(list)
        for reply in reply_rows:
            per_root[reply.thread_root.pk].append(reply)
        updated = []
        for root in roots:
            if root.pk in per_root:
                root.reply_count = len(per_root[root.pk])
                root.last_reply_at = max(r.created_at for r in per_root[root.pk])
                updated.append(root)
        Message.objects.bulk_update(updated, ["reply_count", "last_reply_at"], batch_size=BATCH)

        reactions = []
        for message in rng.sample(roots, min(len(roots), 60)):
            for sid in {pick(everyone[:50]) for _ in range(rng.randint(1, 4))}:
                reactions.append(Reaction(message=message, staff_id=sid, emoji=pick(EMOJIS)))
        Reaction.objects.bulk_create(reactions, batch_size=BATCH, ignore_conflicts=True)

        last_at: dict[int, dt.datetime] = {}
        for message in writer.messages:
            last_at[message.conversation_id] = max(
                last_at.get(message.conversation_id, message.created_at), message.created_at
            )
        convs = list(Conversation.objects.filter(pk__in=list(writer.seq)))
        for conv in convs:
            conv.last_seq = writer.seq[conv.pk]
            conv.last_message_at = last_at.get(conv.pk)
        Conversation.objects.bulk_update(convs, ["last_seq", "last_message_at"], batch_size=BATCH)
        # Most people have read everything but the last few messages, so badges show something.
        for conv in convs:
            Member.objects.filter(conversation=conv).exclude(staff_id=admin_id).update(
                last_read_seq=max(conv.last_seq - 2, 0)
            )

    # The administrator's dm and mention go through the real action: they notify `admin` as they would in
    # use. The action stamps them with the loading moment; they are then moved to the last office moments.
    partner = Staff.objects.get(pk=admin_dm_partner)
    asker = Staff.objects.get(
        pk=next((sid for sid in everyone if sid not in (admin_id, admin_dm_partner)), partner.pk)
    )
    admin_username = names[admin_id][0]
    posted = [
        do_post_message(
            partner, admin_dm, f"{partner.full_name}です。チャットの使い方について教えてください。"
        ),
        do_post_message(
            asker, channels["情報システム相談"], f"@{admin_username} アカウントの件、ご確認をお願いします。"
        ),
    ]
    for message, at in zip(posted, times[-2:], strict=True):
        Message.objects.filter(pk=message.pk).update(created_at=at)
        Conversation.objects.filter(pk=message.conversation_id).update(last_message_at=at)
        Notification.objects.filter(
            group_key=f"chat.conversation:{message.conversation_id}", seq=message.seq
        ).update(created_at=at)
    counts["chat_conversations"] = Conversation.objects.count()
    counts["chat_messages"] = len(writer.messages) + len(posted)
    say(f"chat: {counts['chat_conversations']} conversations, {counts['chat_messages']} messages")
    return counts
