"""`kiban serve`: migrate, then serve HTTP and WebSocket on one port with uvicorn, with the worker in-process.

With `--workers N` (N > 1) uvicorn runs N server processes under a supervisor process; the background
worker then runs once, as a thread of that supervisor, never in the server processes (so N servers do not
mean N workers polling the queue, and a server process restarted by uvicorn never interrupts a job). Several
server processes need KIBAN_REDIS_URL: without it, a realtime event reaches the sockets of the other
processes only seconds later, through the event table's sweep (kiban/realtime/hub.py).
"""

from __future__ import annotations

import contextlib
import logging
import signal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kiban.core.jobs import WorkerThread

logger = logging.getLogger("kiban.serve")

DEMO_PASSWORD = "kiban-demo"  # noqa: S105 - the documented password of the fictional demo accounts


# Any 64-bit number the application uses for nothing else.
MIGRATION_LOCK = 0x4B6962616E4D6967  # "KibanMig"


@contextlib.contextmanager
def _migration_lock():
    """Several processes or machines may start at once (`--workers`, a rolling restart): on PostgreSQL they
    migrate one after another, so two never apply a migration, or insert the same content type, at once."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])


class Command(BaseCommand):
    help = "データベースを更新し、HTTP と WebSocket を1つのポートで提供し、バックグラウンド処理を実行します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="listen port (default 8000)")
        parser.add_argument(
            "--demo", action="store_true", help="load the demo prefecture if there are no staff yet"
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="server processes (more than 1 needs KIBAN_REDIS_URL)"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not run the background worker here (when `kiban worker` runs elsewhere)",
        )

    def handle(
        self, *args, host: str, port: int, demo: bool, workers: int, no_worker: bool, **options
    ) -> None:
        if workers < 1:
            raise CommandError(_("--workers には 1 以上を指定してください。"))
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError(
                _(
                    "--workers %(n)d には KIBAN_REDIS_URL（例: redis://127.0.0.1:6379/0）が必要です。"
                    "リアルタイム通知をすべてのサーバープロセスに届けるためです。設定するか、1 プロセスで起動してください。"
                )
                % {"n": workers}
            )
        verbosity = options["verbosity"]
        with _migration_lock():
            call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        if demo:
            self._load_demo_if_empty()
        # WhiteNoise scans STATIC_ROOT besides the finders and warns when it does not exist.
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)

        import uvicorn

        worker = None if no_worker else WorkerThread()
        if worker is not None:
            worker.start()
        self.stdout.write(f"Kiban: http://{host}:{port}/  " + _("(Ctrl+C で終了)"))
        # uvicorn shuts down gracefully on SIGTERM, then raises the signal again through the handler it found.
        # Python's default would kill the process there, before the worker has finished its job; this one
        # lets `finally` stop the worker and the command exit 0.
        previous_sigterm = signal.signal(signal.SIGTERM, lambda signum, frame: None)
        try:
            uvicorn.run(
                "kiban.asgi:application",
                host=host,
                port=port,
                workers=workers if workers > 1 else None,
                lifespan="off",
                # Compression on chat sockets costs ~0.5 MB per connection (shared/notes/realtime-fanout.md).
                ws_per_message_deflate=False,
                # Protocol pings drop dead peers (a laptop that went to sleep) within ~40 s, so the realtime
                # hub stops queueing frames for them and presence notices they left.
                ws_ping_interval=20,
                ws_ping_timeout=20,
                log_level="info" if verbosity >= 1 else "warning",
                proxy_headers=settings.USE_X_FORWARDED_FOR,
                # Open WebSockets would otherwise hold a restart until every client leaves.
                timeout_graceful_shutdown=10,
            )
        except KeyboardInterrupt:
            pass  # uvicorn re-raises the Ctrl+C it handled; the server is already down
        finally:
            if worker is not None:
                try:
                    worker.stop()
                except KeyboardInterrupt:
                    pass  # a second Ctrl+C: leave without waiting for the running job
            signal.signal(signal.SIGTERM, previous_sigterm)

    def _load_demo_if_empty(self) -> None:
        if get_user_model().objects.exists():
            self.stdout.write(_("職員が登録済みのため、デモ組織は読み込みません。"))
            return
        self.stdout.write(_("デモ用の架空県を読み込んでいます…"))
        try:
            # By name, not by import: the demo belongs to the org module, and core imports no domain app.
            call_command("demo", staff=300, password=DEMO_PASSWORD, stdout=self.stdout)
        except CommandError as exc:  # departments without staff, e.g. half an HR import
            self.stdout.write(_("デモ組織は読み込みません: %(reason)s") % {"reason": exc})
            return
        self.stdout.write(
            _("デモを読み込みました。admin / %(password)s でログインできます。") % {"password": DEMO_PASSWORD}
        )
