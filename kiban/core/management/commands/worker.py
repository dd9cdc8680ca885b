"""`kiban worker`: the background worker alone, for scaled-out deployments (run one or several)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from kiban.core.jobs import make_worker, schedule_periodic_jobs


class Command(BaseCommand):
    help = "バックグラウンド処理（メール送信、予約投稿、リマインダー）だけを実行します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls when idle (default 1)"
        )
        parser.add_argument("--batch", action="store_true", help="run the jobs that are due, then exit")

    def handle(self, *args, interval: float, batch: bool, **options) -> None:
        schedule_periodic_jobs()
        worker = make_worker(interval=interval, batch=batch, name="worker")
        # SIGTERM and SIGINT: finish the job that is running, then exit 0 (a second signal aborts it).
        worker.configure_signals()
        self.stdout.write(f"Kiban worker {worker.worker_id}: all queues")
        self.stdout.flush()
        worker.run()
