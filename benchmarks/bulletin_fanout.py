"""Bulletin post to 5,000 staff with email: the time to the last delivered mail beside a bare smtplib loop,
the author's request to all staff beside a post to one section, and the bulletin's portal panel.

    uv run python benchmarks/bulletin_fanout.py [--staff 5000] [--pg postgres://postgres@127.0.0.1:5432/kiban]

In one process, on a throwaway database (a temporary SQLite file, or `<name>_bench_bulletin` on the given
PostgreSQL server, dropped afterwards), with a real SMTP server (aiosmtpd, in a thread of this process, which
counts what it accepts):

1. Baseline: the same 5,000 messages (built by `kiban.core.mail.build_message`, rendered to bytes before the
   clock starts) sent over one connection by a minimal smtplib loop.
2. Kiban: `POST /api/v1/bulletin/posts` (audience all, notify_email) by the author, then the worker's loop
   (`run_pending_jobs`, as the in-process worker runs it) until the server has accepted all 5,000: the
   publication job (5,000 notifications, one shared event, the outbox rows) and the batch mail jobs.
3. The author's request time for a post to all staff beside a post to one section (interleaved, median).
4. The portal panel for a person with 20 unread posts (p95 of 200 calls) beside one indexed query.

Targets (issue 10): last mail within 2× the bare loop; the all-staff request no slower than the one-section
one; the portal under 50 ms p95. This is a benchmark, not a test; it prints the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import configure, drop_pg, percentile  # noqa: E402


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.target = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            if self.target and self.count >= self.target:
                self.done.set()
        return "250 OK"

    def expect(self, n: int) -> None:
        with self.lock:
            self.count, self.target = 0, n
            self.done.clear()


def create_org(staff: int):
    from django.core.management import call_command

    from kiban.accounts.models import Staff
    from kiban.bulletin.models import Category
    from kiban.org.models import Department, Membership

    call_command("migrate", interactive=False, verbosity=0)
    top = Department.objects.create(code="900000", name="架空部", order=1)
    sections = Department.objects.bulk_create(
        Department(code=f"9{i:03d}00", name=f"第{i}課", parent=top, order=i) for i in range(1, 51)
    )
    Staff.objects.bulk_create(
        Staff(
            username=f"b{i:05d}",
            family_name="試験",
            given_name=f"{i}",
            email=f"b{i:05d}@pref.example.lg.jp",
            password="!",
            is_staff=(i == 0),
        )  # fmt: skip
        for i in range(staff)
    )
    people = list(Staff.objects.order_by("username"))
    Membership.objects.bulk_create(
        Membership(staff=p, department=sections[i % len(sections)], is_primary=True)
        for i, p in enumerate(people)
    )
    category = Category.objects.create(name="全庁お知らせ")
    return people, sections, category


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (a throwaway database is made beside it)")
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kiban-bench-bulletin-"))
    os.environ.pop("KIBAN_SMTP_URL", None)
    name = configure(args.pg, tmp, "bulletin")
    try:
        run(args)
    finally:
        if args.pg:
            drop_pg(args.pg, name)


def run(args) -> None:
    import logging

    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kiban.bulletin import portal, queries
    from kiban.bulletin.models import Post, Read
    from kiban.core.jobs import run_pending_jobs
    from kiban.core.mail import build_message
    from kiban.core.models import OutgoingEmail

    settings.ALLOWED_HOSTS = ["*"]
    for noisy in ("mail.log", "django_tasks", "kiban", "django.request"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    print(f"load average before: {os.getloadavg()}  database: {connection.vendor}  staff: {args.staff}")
    t = time.perf_counter()
    people, sections, category = create_org(args.staff)
    print(f"set-up: {time.perf_counter() - t:.1f} s")
    author = people[0]

    handler = Counter()
    from kiban.core.tests.smtp import free_port

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "基盤 <kiban@pref.example.jp>"

    # 1. Baseline: the same messages over one connection, bytes prepared beforehand. Run before and after
    # Kiban's run (the machine is shared: a load change between the two phases would favour one of them).
    subject = "【掲示板】ベンチマークのお知らせ"
    body = "全職員へのお知らせです。\n\n" + "本文の行です。\n" * 20
    prepared = []
    for p in people:
        message = build_message(
            OutgoingEmail(to=[p.email], subject=subject, body=body, message_id=f"<{p.pk}@b>")
        )
        prepared.append((p.email, message.message().as_bytes()))

    def bare_loop() -> float:
        handler.expect(len(prepared))
        t0 = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for to, data in prepared:
                smtp.sendmail("kiban@pref.example.jp", [to], data)
        assert handler.done.wait(600)
        return time.perf_counter() - t0

    bare_before = bare_loop()
    print(
        f"\nbare smtplib loop, one connection: {len(prepared)} mails in {bare_before:.2f} s = {len(prepared) / bare_before:.0f} mails/s"
    )

    # 2. Kiban: the author's POST, then the worker until the last mail is accepted.
    client = Client()
    client.force_login(author)
    client.get("/api/v1/bulletin/categories")  # warm the URL resolver and the API
    handler.expect(len(people))
    t0 = time.perf_counter()
    response = client.post("/api/v1/bulletin/posts", {"category": category.pk, "title": "ベンチマークのお知らせ",
                           "body": body, "notify_email": True, "audience": {"all": True}}, content_type="application/json")  # fmt: skip
    request_time = time.perf_counter() - t0
    assert response.status_code == 201, response.content
    jobs = 0
    while not handler.done.is_set():
        ran = run_pending_jobs()
        jobs += ran
        if not ran:
            time.sleep(0.01)
        if time.perf_counter() - t0 > 900:
            sys.exit("timed out")
    total = time.perf_counter() - t0
    sent = OutgoingEmail.objects.filter(status="sent").count()
    bare_after = bare_loop()
    print(
        f"bare smtplib loop again, after Kiban's run: {bare_after:.2f} s = {len(prepared) / bare_after:.0f} mails/s"
    )
    bare = (bare_before + bare_after) / 2
    print(f"kiban, post to all staff with mail: author's request {request_time * 1000:.0f} ms; "
          f"last of {handler.count} mails after {total:.2f} s = {handler.count / total:.0f} mails/s "
          f"({jobs} jobs; {sent} recorded sent) — {total / bare:.2f}× the bare loop's mean (target ≤ 2×)")  # fmt: skip
    # Publication without the mail (notifications and event only), for the record.
    t1 = time.perf_counter()
    client.post("/api/v1/bulletin/posts", {"category": category.pk, "title": "通知のみ", "body": "本文"},
                content_type="application/json")  # fmt: skip
    while run_pending_jobs():
        pass
    print(
        f"kiban, post to all staff without mail (request + publication job): {(time.perf_counter() - t1) * 1000:.0f} ms"
    )

    # 3. The author's request: all staff vs one section (interleaved), mail on, jobs drained between.
    times = {"all": [], "section": []}
    for i in range(args.requests):
        for kind in ("all", "section"):
            audience = {"all": True} if kind == "all" else {"departments": [sections[i % len(sections)].pk]}
            t = time.perf_counter()
            r = client.post("/api/v1/bulletin/posts", {"category": category.pk, "title": f"{kind}{i}", "body": "本文",
                            "notify_email": True, "audience": audience}, content_type="application/json")  # fmt: skip
            times[kind].append(time.perf_counter() - t)
            assert r.status_code == 201
        handler.expect(10**9)
        while run_pending_jobs():
            pass
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(f"\nauthor's request (median of {args.requests}): all staff {med['all']:.1f} ms, one section "
          f"{med['section']:.1f} ms — ratio {med['all'] / med['section']:.2f} (target ≤ 1, the work is in the job)")  # fmt: skip

    # 4. The portal panel: a person with 20 unread posts, beside one indexed query.
    reader = people[-1]
    Read.objects.filter(staff=reader).delete()
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            category=category,
            title=f"お知らせ{i}",
            body="本文",
            html="<p>本文</p>",
            author=author,
            publish_at=now - timezone.timedelta(hours=i),
            published_at=now,
            important=i % 5 == 0,
        )  # fmt: skip
        for i in range(200)
    )
    posts = list(Post.objects.order_by("-publish_at", "-pk"))
    Read.objects.bulk_create([Read(post=p, staff=reader) for p in posts[20:]], ignore_conflicts=True)

    class R:
        user = reader

    for _ in range(10):
        portal.panel(R)
    samples, base = [], []
    for _ in range(200):
        t = time.perf_counter()
        section = portal.panel(R)
        samples.append(time.perf_counter() - t)
        t = time.perf_counter()
        Read.objects.filter(staff=reader, post_id=posts[0].pk).exists()
        base.append(time.perf_counter() - t)
    with CaptureQueriesContext(connection) as ctx:
        portal.panel(R)
    unread = queries.portal(reader)[1]
    print(f"portal panel ({unread} unread, {len(section.data.posts)} shown, {len(ctx.captured_queries)} queries): "
          f"p50 {percentile(samples, .5) * 1000:.2f} ms, p95 {percentile(samples, .95) * 1000:.2f} ms; "
          f"one indexed query p95 {percentile(base, .95) * 1000:.2f} ms (target: panel p95 < 50 ms)")  # fmt: skip
    controller.stop()
    print(f"\nload average after: {os.getloadavg()}  ({timezone.now():%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
