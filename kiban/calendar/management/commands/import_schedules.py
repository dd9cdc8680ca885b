"""`kiban import-schedules DIR`: a folder of `USERNAME.ics` files, for migrating thousands of staff from the
old groupware, with a progress bar and a failure report. Each file is imported in its own transaction: a
bad file changes nothing for its person and does not stop the others."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kiban.calendar.actions import do_import_ics as import_ics
from kiban.calendar.ics import IcsError

BAR_WIDTH = 30


def progress_line(done: int, total: int, name: str) -> str:
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    percent = 100 * done // total if total else 100
    return f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {percent:3d}% {name[:30]:<30}"


class Command(BaseCommand):
    help = (
        "Imports every USERNAME.ics file of a folder into that person's calendar, showing progress, then "
        "lists the files that failed (unknown person, unreadable file) and the events skipped with reasons."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="folder of USERNAME.ics files")
        parser.add_argument("--quiet", action="store_true", help="no progress bar (logs, cron)")

    def handle(self, *args, directory: str, quiet: bool, **options):
        folder = Path(directory)
        if not folder.is_dir():
            raise CommandError(_("DIR: フォルダがありません (%(dir)s)") % {"dir": directory})
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".ics" and p.is_file())
        if not files:
            raise CommandError(_("DIR: .ics ファイルがありません (%(dir)s)") % {"dir": directory})
        Staff = get_user_model()
        people = {s.username: s for s in Staff.objects.filter(username__in=[p.stem for p in files])}
        failures: list[str] = []
        skipped: list[str] = []
        created = updated = 0
        show = not quiet
        for index, path in enumerate(files, start=1):
            if show:
                self.stdout.write(progress_line(index - 1, len(files), path.name), ending="")
                self.stdout.flush()
            person = people.get(path.stem)
            if person is None:
                failures.append(f"{path.name}: " + _("該当する職員がいません (%(who)s)") % {"who": path.stem})
                continue
            try:
                report = import_ics(person, path.read_bytes())
            except OSError as exc:
                failures.append(f"{path.name}: {exc.strerror or exc}")
                continue
            except IcsError as exc:
                failures.append(f"{path.name}: {exc}")
                continue
            created += report.created
            updated += report.updated
            for item in report.skipped:
                skipped.append(
                    f"{path.name}:{item['line'] or '?'} UID={item['uid'] or '-'}: {item['reason']}"
                )
        if show:
            self.stdout.write(progress_line(len(files), len(files), ""))
        self.stdout.write(
            _(
                "%(files)dファイル: %(created)d件を登録、%(updated)d件を更新、%(skipped)d件をスキップ、%(failed)dファイルが失敗"
            )
            % {
                "files": len(files),
                "created": created,
                "updated": updated,
                "skipped": len(skipped),
                "failed": len(failures),
            }
        )
        if skipped:
            self.stdout.write(_("スキップした予定:"))
            for line in skipped:
                self.stdout.write(f"  {line}")
        if failures:
            self.stderr.write(_("取り込めなかったファイル:"))
            for line in failures:
                self.stderr.write(f"  {line}")
            raise CommandError(_("%(n)dファイルを取り込めませんでした (上記)。") % {"n": len(failures)})
