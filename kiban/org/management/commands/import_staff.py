"""`kiban import-staff FILE.csv [--dry-run] [--full] [--effective DATE]` (CONTRACT.md "HR CSV files")."""

from __future__ import annotations

import datetime as dt
import getpass

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.org.importer import ImportFailed, apply_plan, build_plan, read_file
from kiban.org.reshuffle import do_store_reshuffle, pending_department_codes


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no passwd entry in some containers
        return "cli"


class Command(BaseCommand):
    help = (
        "Creates, updates and retires staff and departments from an HR CSV (UTF-8 or Shift_JIS). "
        "Every row is checked first; any bad row stops the import and nothing is applied. "
        "--full retires staff and departments absent from the file (staff: deactivated, memberships "
        "removed, sessions and API tokens revoked; administrator accounts are never retired)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (departments or staff; the header row decides)")
        parser.add_argument("--dry-run", action="store_true", help="print the changes and change nothing")
        parser.add_argument(
            "--full", action="store_true", help="retire staff/departments absent from the file"
        )
        parser.add_argument(
            "--effective", metavar="YYYY-MM-DD", help="store the reshuffle and apply it on that date"
        )

    def handle(self, *args, file: str, dry_run: bool, full: bool, effective: str | None, **options):
        effective_date = None
        if effective:
            try:
                effective_date = dt.date.fromisoformat(effective)
            except ValueError:
                raise CommandError(
                    _("--effective: 日付は YYYY-MM-DD で指定してください(%(v)s)") % {"v": effective}
                ) from None
            if effective_date < timezone.localdate():
                raise CommandError(_("--effective: 過去の日付は指定できません(%(v)s)") % {"v": effective})
        try:
            if effective_date is not None:
                self._store(file, full=full, dry_run=dry_run, effective_date=effective_date)
                return
            plan = build_plan(read_file(file), full=full)
            self._print_preview(plan.preview_lines())
            if dry_run:
                self.stdout.write(_("--dry-run: 何も変更していません。"))
                return
            if plan.is_empty:
                self.stdout.write(_("変更はありません。"))
                return
            counts = apply_plan(plan, actor_username=_cli_actor())
        except ImportFailed as failure:
            self._fail(failure)
        self.stdout.write(self.style.SUCCESS(_("適用しました: %(counts)s") % {"counts": counts}))

    def _store(self, file: str, *, full: bool, dry_run: bool, effective_date: dt.date) -> None:
        parsed = read_file(file)
        if dry_run:
            plan = build_plan(
                parsed, full=full, extra_department_codes=pending_department_codes(effective_date)
            )
            self._print_preview(plan.preview_lines())
            self.stdout.write(_("--dry-run: 何も保存していません。"))
            return
        reshuffle = do_store_reshuffle(
            parsed, effective_date=effective_date, full=full, actor_username=_cli_actor()
        )
        self._print_preview(reshuffle.summary.splitlines())
        self.stdout.write(
            self.style.SUCCESS(
                _("人事異動 #%(id)d を %(date)s に適用するよう予約しました。")
                % {"id": reshuffle.pk, "date": effective_date.isoformat()}
            )
        )

    def _print_preview(self, lines: list[str]) -> None:
        for line in lines:
            self.stdout.write(line)

    def _fail(self, failure: ImportFailed) -> None:
        for error in failure.errors:
            self.stderr.write(str(error))
        raise CommandError(
            _("%(n)d 件のエラーがあります。何も変更していません。") % {"n": len(failure.errors)}
        )
