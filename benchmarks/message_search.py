"""Message search latency at scale: p50/p95 per kind of query, next to the newest-50 fetch it replaces.

    uv run python benchmarks/message_search.py [--messages 1000000] [--conversations 10000] [--runs 100]
    uv run python benchmarks/message_search.py --database-url postgres://postgres@127.0.0.1:5432/kiban

Builds a throwaway database — a temporary SQLite file, or a separate PostgreSQL database
`<name>_bench_messages` on the server given, dropped afterwards (the development database is never
touched) — with synthetic government chat messages (Zipf vocabulary of Japanese work words, some katakana
written half-width, some English), spread over the conversations, and a searcher who is a member of about 5%
of them. Messages are inserted with raw `executemany` and the index built after the load (SQLite: triggers
and FTS5 fill; PostgreSQL: CREATE INDEX, then VACUUM ANALYZE as autovacuum would).

Times `kiban.chat.search.search_message_ids` (the search query: index, permission, recheck; what the API
adds is loading 50 messages, shown as its own row) against a baseline measured in the same run: the
indexed fetch of the searcher's newest 50 messages (what the conversation list does without a query).
Every kind's first queries are checked against a brute-force scan. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchdb import configure, drop_pg, percentile  # noqa: E402

# --- Synthetic corpus ------------------------------------------------------------------------------------------

# Work words of a prefectural office, most common first (Zipf weights by rank).
WORDS = [
    "確認",
    "お願いします",
    "会議",
    "資料",
    "本日",
    "明日",
    "共有",
    "対応",
    "予定",
    "件",
    "報告",
    "課長",
    "係長",
    "打ち合わせ",
    "提出",
    "修正",
    "連絡",
    "承知しました",
    "ありがとうございます",
    "来週",
    "庁舎",
    "決裁",
    "申請",
    "住民",
    "窓口",
    "調整",
    "担当",
    "議事録",
    "予算",
    "人事異動",
    "研修",
    "出張",
    "契約",
    "入札",
    "工事",
    "道路",
    "補助金",
    "条例",
    "議会",
    "答弁",
    "広報",
    "観光",
    "福祉",
    "子育て",
    "介護",
    "税務",
    "防災訓練",
    "避難所",
    "停電",
    "断水",
    "災害対策本部",
    "健康診断",
    "年末調整",
    "公用車",
    "会議室",
    "プロジェクター",
    "印刷",
    "押印",
    "電子申請",
    "システム",
    "サーバー",
    "メンテナンス",
    "パスワード",
    "ネットワーク",
    "データベース",
    "アカウント",
    "バックアップ",
    "ファイル",
    "フォルダ",
    "メール",
    "カレンダー",
    "スケジュール",
    "チャット",
    "庶務",
    "総務",
    "財政",
    "企画",
    "監査",
    "選挙",
    "統計",
]
ENGLISH = [
    "budget",
    "meeting",
    "deadline",
    "server",
    "PDF",
    "Excel",
    "update",
    "schedule",
    "review",
    "draft",
    "agenda",
    "report",
]
PARTICLES = ["の", "を", "に", "は", "が", "で", "と", "、", "。", " "]
HALF = str.maketrans(
    dict(zip("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンー",
             "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｰ", strict=True))
    | {"ガ": "ｶﾞ", "ギ": "ｷﾞ", "グ": "ｸﾞ", "ゲ": "ｹﾞ", "ゴ": "ｺﾞ", "ザ": "ｻﾞ", "ジ": "ｼﾞ", "ズ": "ｽﾞ",
       "ゼ": "ｾﾞ", "ゾ": "ｿﾞ", "ダ": "ﾀﾞ", "デ": "ﾃﾞ", "ド": "ﾄﾞ", "バ": "ﾊﾞ", "ビ": "ﾋﾞ", "ブ": "ﾌﾞ",
       "ベ": "ﾍﾞ", "ボ": "ﾎﾞ", "パ": "ﾊﾟ", "ピ": "ﾋﾟ", "プ": "ﾌﾟ", "ペ": "ﾍﾟ", "ポ": "ﾎﾟ", "ャ": "ｬ",
       "ュ": "ｭ", "ョ": "ｮ", "ッ": "ｯ"}
)  # fmt: skip
RARE = "緊急連絡網"  # planted in a few hundred messages only


def make_body(rng: random.Random, weights: list[float]) -> str:
    words = rng.choices(WORDS, weights=weights, k=rng.randint(4, 11))
    if rng.random() < 0.15:
        words[rng.randrange(len(words))] = rng.choice(ENGLISH)
    out = []
    for word in words:
        if rng.random() < 0.05 and word.isascii() is False:
            word = word.translate(HALF)  # some people type half-width katakana
        out.append(word)
        out.append(rng.choice(PARTICLES))
    return "".join(out).strip()


# --- Set-up ----------------------------------------------------------------------------------------------------


def build(args, rng: random.Random) -> tuple[object, dict]:
    """Staff, conversations, members and messages; returns the searcher and facts about the data."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from kiban.accounts.models import Staff
    from kiban.chat import search
    from kiban.chat.models import Conversation, Member, Message

    password = make_password(None)
    staff = Staff.objects.bulk_create(
        [
            Staff(username=f"{200000 + i}", family_name="職員", given_name=str(i), password=password)
            for i in range(args.staff)
        ],
        batch_size=1000,
    )
    searcher = staff[0]
    convs = Conversation.objects.bulk_create(
        [Conversation(kind="group", name=f"会話{i}") for i in range(args.conversations)], batch_size=2000
    )
    conv_ids = [c.pk for c in convs]
    mine = set(rng.sample(conv_ids, max(1, round(len(conv_ids) * args.share))))
    # A second searcher in only 20 conversations (a newcomer): a common word is in their few conversations
    # far more rarely than in the whole table.
    few = staff[1]
    few_convs = set(rng.sample(conv_ids, 20))
    members = []
    for cid in conv_ids:
        people = set(rng.sample(staff[2:], 4))
        if cid in few_convs:
            people.add(few)
        members += [Member(conversation_id=cid, staff=p) for p in people]
        if cid in mine:
            members.append(Member(conversation_id=cid, staff=searcher))
    Member.objects.bulk_create(members, batch_size=5000)

    # Raw executemany of every concrete column (defaults for those the corpus does not set).
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    given = {"conversation_id", "seq", "author_id", "body", "created_at"}
    defaults = {f.column: f.get_default() for f in fields if f.attname not in given}
    columns = [f.column for f in fields]
    sql = (
        f"INSERT INTO chat_message ({', '.join(columns)}) "  # noqa: S608 — constant column names
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    seq = dict.fromkeys(conv_ids, 0)
    start = timezone.now() - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / args.messages
    rare_every = max(1, args.messages // 300)
    search.uninstall_index()  # the index is built after the load, as a bulk import would
    loaded = time.perf_counter()
    batch = []
    for i in range(args.messages):
        cid = rng.choice(conv_ids)
        seq[cid] += 1
        body = make_body(rng, weights)
        if i % rare_every == 0:
            body = f"{RARE}の更新 {body}"
        row = {
            **defaults,
            "conversation_id": cid,
            "seq": seq[cid],
            "author_id": searcher.pk if cid in mine and rng.random() < 0.2 else rng.choice(staff).pk,
            "body": body,
            "created_at": start + step * i,
        }
        batch.append([row[c] for c in columns])
        if len(batch) == 20000:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch = []
    if batch:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
    load_seconds = time.perf_counter() - loaded
    for cid, last in seq.items():
        seq[cid] = last
    Conversation.objects.bulk_update(
        [Conversation(pk=cid, last_seq=last) for cid, last in seq.items()], ["last_seq"], batch_size=2000
    )

    started = time.perf_counter()
    with transaction.atomic():
        search.install_index()
        search.rebuild_index()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    index_seconds = time.perf_counter() - started
    facts = {
        "load_seconds": load_seconds,
        "index_seconds": index_seconds,
        "mine": mine,
        "visible": sum(seq[c] for c in mine),
        "index_mb": index_size(),
        "few": few,
    }
    return searcher, facts


def index_size() -> float:
    from django.db import connection

    from kiban.chat import search

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_relation_size(%s)", [search.PG_INDEX])
            return cursor.fetchone()[0] / 1e6
        try:
            cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'chat_message_fts%'")
            return (cursor.fetchone()[0] or 0) / 1e6
        except Exception:  # noqa: BLE001 — dbstat is optional in SQLite builds
            return float("nan")


def baseline_newest(searcher) -> list[int]:
    """The searcher's newest 50 live messages, by the same scope condition and the primary key."""
    from django.db import connection

    from kiban.chat.models import Member

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = list(Member.objects.filter(staff=searcher).values_list("conversation_id", flat=True))
            cursor.execute(
                "SELECT id FROM chat_message WHERE conversation_id = ANY(%s) AND deleted_at IS NULL "
                "ORDER BY id DESC LIMIT 51",
                [ids],
            )
        else:
            cursor.execute(
                "SELECT id FROM chat_message WHERE conversation_id IN "
                "(SELECT conversation_id FROM chat_member WHERE staff_id = %s) AND deleted_at IS NULL "
                "ORDER BY id DESC LIMIT 51",
                [searcher.pk],
            )
        return [r[0] for r in cursor.fetchall()]


def brute_force(searcher, q: str, kwargs: dict, limit: int) -> list[int]:
    """The same answer by reading every message of the scope and normalising it in Python."""
    from kiban.chat.models import Member, Message
    from kiban.core.search import parse_terms
    from kiban.core.text import normalize

    terms = parse_terms(q)
    scope = Member.objects.filter(staff=searcher).values("conversation_id")
    rows = Message.objects.filter(conversation_id__in=scope, deleted_at__isnull=True)
    if kwargs.get("conversation_id"):
        rows = rows.filter(conversation_id=kwargs["conversation_id"])
    if kwargs.get("author_username"):
        rows = rows.filter(author__username=kwargs["author_username"])
    found = []
    for pk, body in rows.order_by("-id").values_list("id", "body").iterator(chunk_size=5000):
        text = normalize(body)
        if all(t in text for t in terms):
            found.append(pk)
            if len(found) == limit:
                break
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--staff", type=int, default=2_000)
    parser.add_argument("--share", type=float, default=0.05, help="of conversations the searcher is in")
    parser.add_argument("--runs", type=int, default=100, help="timed queries per kind")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (to EXPLAIN)")
    args = parser.parse_args()
    db_url = args.database_url

    with tempfile.TemporaryDirectory(prefix="kiban-bench-") as tmp:
        name = configure(db_url, Path(tmp), "messages")
        try:
            run(args)
        finally:
            if db_url and not args.keep:
                drop_pg(db_url, name)


def run(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    from kiban.chat.search import load_messages, search_message_ids

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(11)
    searcher, facts = build(args, rng)
    build_seconds = time.perf_counter() - started

    mine = sorted(facts["mine"])
    from kiban.chat.models import Message

    my_authors = list(
        Message.objects.filter(conversation_id__in=mine[:50]).values_list("author__username", flat=True)[:200]
    )
    today = dt.date.today()

    def pick(options):
        return [rng.choice(options) for _ in range(args.runs)]

    common2 = ["会議", "資料", "確認", "予定", "共有", "対応", "報告", "連絡"]
    rare2 = ["監査", "選挙", "統計", "入札", "条例", "介護"]
    kinds: dict[str, list[tuple[str, dict]]] = {
        "2-char term, common": [(q, {}) for q in pick(common2)],
        "2-char term, rarer": [(q, {}) for q in pick(rare2)],
        "longer phrase": [
            (q, {}) for q in pick(["人事異動", "防災訓練", "議事録を", "災害対策本部", "健康診断"])
        ],
        "kana variant (hiragana / half-width)": [
            (q, {}) for q in pick(["しすてむ", "さーばー", "ﾃﾞｰﾀﾍﾞｰｽ", "ばっくあっぷ", "ﾊﾟｽﾜｰﾄﾞ"])
        ],
        "English word": [(q, {}) for q in pick(["budget", "meeting", "DEADLINE", "excel", "agenda"])],
        "two terms": [(q, {}) for q in pick(["会議 資料", "予算 確認", "システム 停電", "budget 会議"])],
        "rare phrase (few hundred)": [(q, {}) for q in pick([RARE, "緊急連絡"])],
        "filter: conversation": [
            (rng.choice(common2), {"conversation_id": rng.choice(mine)}) for _ in range(args.runs)
        ],
        "filter: author": [
            (rng.choice(common2), {"author_username": rng.choice(my_authors)}) for _ in range(args.runs)
        ],
        "filter: last 30 days": [
            (rng.choice(common2 + rare2), {"date_from": today - dt.timedelta(days=30), "date_to": today})
            for _ in range(args.runs)
        ],
        "one character (scan fallback)": [(q, {}) for q in pick(["会", "課", "件"])],
        "2-char common, searcher in 20 convs": [(q, {}) for q in pick(common2)],
    }
    who = dict.fromkeys(kinds, searcher)
    who["2-char common, searcher in 20 convs"] = facts["few"]

    # Correctness first: the first queries of each kind against a brute-force scan.
    checked = mismatches = 0
    for kind, queries in kinds.items():
        for q, kw in queries[:3]:
            if "date_from" in kw or len(q.strip()) == 1:
                continue  # the scan fallback is bounded; dates are checked in the tests
            got, _more = search_message_ids(who[kind], q, limit=50, **kw)
            checked += 1
            if got != brute_force(who[kind], q, kw, 50):
                mismatches += 1
                print(f"MISMATCH for {q!r} {kw}", file=sys.stderr)

    # Warm the caches alike for every kind, then time.
    for kind, queries in kinds.items():
        for q, kw in queries[:5]:
            search_message_ids(who[kind], q, **kw)
    baseline = []
    for _ in range(args.runs):
        t = time.perf_counter()
        baseline_newest(searcher)
        baseline.append((time.perf_counter() - t) * 1000)
    timings: dict[str, list[float]] = {}
    hits: dict[str, list[int]] = {}
    # This process's CPU time: steadier than wall time on a shared machine for SQLite (it runs in this
    # process); PostgreSQL works in the server, so there only wall time counts.
    cpu: dict[str, list[float]] = {}
    for kind, queries in kinds.items():
        timings[kind], hits[kind] = [], []
        cpu[kind] = []
        for q, kw in queries:
            t, c = time.perf_counter(), time.process_time()
            ids, _more = search_message_ids(who[kind], q, **kw)
            timings[kind].append((time.perf_counter() - t) * 1000)
            cpu[kind].append((time.process_time() - c) * 1000)
            hits[kind].append(len(ids))
    loading = []
    for q, kw in kinds["2-char term, common"][:50]:
        ids, _more = search_message_ids(searcher, q, **kw)
        t = time.perf_counter()
        load_messages(ids)
        loading.append((time.perf_counter() - t) * 1000)

    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if engine == "PostgreSQL" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    print(
        f"# Message search — {engine} {version}, {args.messages:,} messages in {args.conversations:,} "
        f"conversations; the searcher is in {len(mine):,} ({len(mine) / args.conversations:.1%}) holding "
        f"{facts['visible']:,} messages; {args.runs} queries per kind"
    )
    print(
        f"# {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"# build {build_seconds:.0f} s (raw insert {facts['load_seconds']:.0f} s, index "
        f"{facts['index_seconds']:.0f} s); index size {facts['index_mb']:.0f} MB"
    )
    print(f"# checked against a brute-force scan: {checked - mismatches}/{checked} identical")
    print(f"# load average {os.getloadavg()[0]:.1f} at the end of the run; times in ms (search_message_ids)")
    base50, base95 = statistics.median(baseline), percentile(baseline, 0.95)
    print(f"{'query kind':40} {'p50':>8} {'p95':>8} {'p95/base':>9} {'CPU p95':>8} {'mean hits':>9}")
    print(f"{'baseline: newest 50 of my conversations':40} {base50:8.2f} {base95:8.2f} {1:9.1f}")
    for kind, wall in timings.items():
        p50, p95 = statistics.median(wall), percentile(wall, 0.95)
        print(
            f"{kind:40} {p50:8.2f} {p95:8.2f} {p95 / base95:9.1f} {percentile(cpu[kind], 0.95):8.2f} "
            f"{statistics.mean(hits[kind]):9.1f}"
        )
    print(
        f"{'(+ loading 50 messages for the API)':40} {statistics.median(loading):8.2f} "
        f"{percentile(loading, 0.95):8.2f}"
    )


if __name__ == "__main__":
    main()
