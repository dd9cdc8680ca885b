"""`kiban import-ics USERNAME FILE.ics`: one person's schedule from an .ics file (CONTRACT.md)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kiban.calendar.actions import do_import_ics as import_ics
from kiban.calendar.ics import IcsError


def print_report(stdout, name: str, report) -> None:
    stdout.write(
        _("%(file)s: %(created)d件を登録、%(updated)d件を更新、%(skipped)d件をスキップ")
        % {"file": name, "created": report.created, "updated": report.updated, "skipped": len(report.skipped)}
    )
    for item in report.skipped:
        where = _("%(line)s行目") % {"line": item["line"]} if item["line"] else ""
        stdout.write(f"  {name}:{item['line'] or '?'} {where} UID={item['uid'] or '-'}: {item['reason']}")


class Command(BaseCommand):
    help = (
        "Imports one person's schedule from an iCalendar file. Importing the same file again updates the "
        "events (matched by UID) instead of duplicating them. An unreadable file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="職員番号 of the person whose calendar receives the events")
        parser.add_argument("file", help=".ics file (UTF-8)")

    def handle(self, *args, username: str, file: str, **options):
        person = get_user_model().objects.filter(username=username).first()
        if person is None:
            raise CommandError(_("USERNAME: 該当する職員がいません (%(who)s)") % {"who": username})
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from None
        try:
            report = import_ics(person, data)
        except IcsError as exc:
            raise CommandError(f"{file}: {exc}") from None
        print_report(self.stdout, file, report)
