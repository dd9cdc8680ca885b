"""`kiban manage chat_sync_departments CODE… | --all`: give departments a chat team kept in step with
their (and their sub-units') staff. Run it again after an HR import or a reshuffle."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kiban.chat.actions import do_sync_all_department_teams, do_sync_department_team
from kiban.org.models import Department


class Command(BaseCommand):
    help = "Create or update the chat team of departments (by code), or re-sync every department team."

    def add_arguments(self, parser) -> None:
        parser.add_argument("codes", nargs="*", help="department codes (所属コード)")
        parser.add_argument("--all", action="store_true", help="re-sync every team that has a department")

    def handle(self, *args, codes: list[str], all: bool, **options) -> None:  # noqa: A002
        if not codes and not all:
            raise CommandError("give department codes or --all")
        departments = list(Department.objects.filter(code__in=codes, is_active=True))
        missing = sorted(set(codes) - {d.code for d in departments})
        if missing:
            raise CommandError(f"unknown department code: {', '.join(missing)}")
        results = [do_sync_department_team(d) for d in departments]
        if all:
            results += do_sync_all_department_teams()
        for result in results:
            self.stdout.write(f"{result.team.name}: +{result.added} -{result.removed}")
