"""Demo bulletin board for 架空県: categories owned by real demo sections, posts of the kinds a prefecture
publishes (人事異動の内示, 防災訓練, システム停止, 福利厚生), some important or pinned, one addressed to a
department only, two scheduled for later, and reads by a share of staff. Bounded work whatever the staff
count: reads are drawn for at most a few hundred people. Announcements are not sent (no notifications or
mail for the demo's back-dated posts)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from kiban.bulletin import richtext
from kiban.bulletin.models import Category, Post, PostDepartment, Read
from kiban.core.text import normalize
from kiban.org.models import Department, Membership

SEED = 20260410

# (category, owning section name or None for 全庁)
CATEGORIES = [("全庁お知らせ", None), ("人事", "人事課"), ("防災", "防災危機管理課"), ("情報システム", "情報政策課"),
              ("福利厚生", "人事課"), ("研修", "人事課")]  # fmt: skip

# (category, title, body, days ago (negative: scheduled ahead), important, pinned, audience section or None)
POSTS = [
    ("全庁お知らせ", "年末年始の閉庁について", "12月29日から1月3日までは閉庁です。\n\n- 急ぎの連絡は当番課へ\n- 庁舎の施錠は各課で確認してください", 3, True, True, None),
    ("人事", "令和8年度 人事異動の内示について", "# 内示日程\n4月1日付の人事異動の内示を3月19日に行います。\n\n所属長から個別にお伝えします。", 1, True, False, None),
    ("防災", "総合防災訓練（地震想定）の実施", "# 日時\n9月1日 9時30分から\n\n# 内容\n| 時刻 | 内容 |\n|---|---|\n| 9:30 | 地震発生・安否確認 |\n| 10:00 | 災害対策本部設置訓練 |\n\n全職員が安否確認に回答してください。", 5, True, False, None),
    ("情報システム", "グループウェア定期メンテナンスのお知らせ", "第2土曜日 8時から12時まで、メンテナンスのため基盤を停止します。\n\n停止中はチャット・予定表が使えません。", 2, False, True, None),
    ("情報システム", "不審メールに注意してください", "**差出人を装ったメール**が届いています。添付ファイルやリンクを開かず、情報政策課へ連絡してください。", 0, True, False, None),
    ("福利厚生", "職員健康診断の日程", "本庁舎の健康診断は6月10日から14日です。所属ごとの時間割は添付のとおりです。", 8, False, False, None),
    ("福利厚生", "互助会 保養施設の利用案内", "夏季の保養施設の申込みを受け付けています。締切は7月15日です。", 12, False, False, None),
    ("研修", "新任係長研修の受講者募集", "新任係長研修（2日間）の受講者を募集します。所属長の推薦をお願いします。", 4, False, False, None),
    ("人事", "総務部 内部向け：文書事務の手引き改訂", "総務部の職員向けに文書事務の手引きを改訂しました。", 6, False, False, "総務部"),
    ("全庁お知らせ", "庁舎駐車場の工事について（予約投稿）", "来月から庁舎東側駐車場の舗装工事を行います。", -2, False, False, None),
    ("研修", "情報セキュリティ研修（eラーニング）のお願い", "全職員を対象に情報セキュリティ研修を実施します。", -5, True, False, None),
]  # fmt: skip


def load_demo(say: Callable[[str], None]) -> dict:
    from django.contrib.auth import get_user_model

    Staff = get_user_model()
    if Category.objects.exists():
        return {}
    departments = dict(Department.objects.filter(is_active=True).values_list("name", "id"))
    if not departments:
        return {}
    rng = random.Random(SEED)
    now = timezone.now()
    admin = Staff.objects.filter(username="admin").first() or Staff.objects.order_by("pk").first()
    with transaction.atomic():
        categories = {}
        for order, (name, owner) in enumerate(CATEGORIES):
            categories[name] = Category.objects.create(name=name, department_id=departments.get(owner) if owner else None,
                                                       order=order)  # fmt: skip
        authors = {}
        for name, category in categories.items():
            member = None
            if category.department_id:
                member = (
                    Membership.objects.filter(department_id=category.department_id, staff__is_active=True)
                    .select_related("staff").order_by("rank").first()
                )  # fmt: skip
            authors[name] = member.staff if member else admin
        posts = []
        for category, title, body, days, important, pinned, section in POSTS:
            at = (now - dt.timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
            if days < 0:
                at = now + dt.timedelta(days=-days)
            post = Post.objects.create(
                category=categories[category], title=title, body=body, html=richtext.render(body),
                search_text=normalize(f"{title} {body}"), author=authors[category], audience_all=section is None,
                important=important, pinned=pinned, publish_at=at, created_at=min(at, now), updated_at=min(at, now),
                published_at=at if at <= now else None,
            )  # fmt: skip
            if section and departments.get(section):
                PostDepartment.objects.create(post=post, department_id=departments[section])
            posts.append(post)
        readers = list(Staff.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)[:300])
        reads = []
        for post in posts:
            if post.publish_at > now or post.audience_all is False:
                continue
            for staff_id in rng.sample(
                readers, k=min(len(readers), rng.randint(len(readers) // 5, len(readers) // 2 or 1))
            ):
                reads.append(Read(post=post, staff_id=staff_id, read_at=post.publish_at + dt.timedelta(hours=rng.randint(0, 48))))  # fmt: skip
        Read.objects.bulk_create(reads, ignore_conflicts=True)
    say(f"bulletin: {len(categories)} categories, {len(posts)} posts, {len(reads)} reads")
    return {
        "bulletin_categories": len(categories),
        "bulletin_posts": len(posts),
        "bulletin_reads": len(reads),
    }
