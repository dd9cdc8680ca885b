"""`kiban demo [--staff N] [--password P]`: load the fictional prefecture 架空県 into an empty database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kiban.org.demo import DEFAULT_PASSWORD, DEFAULT_STAFF, DemoDataExists, load_demo


class Command(BaseCommand):
    help = "Loads the demo prefecture (架空県): departments, N staff, the administrator `admin`."

    def add_arguments(self, parser):
        parser.add_argument(
            "--staff", type=int, default=DEFAULT_STAFF, help=f"number of staff (default {DEFAULT_STAFF})"
        )
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of every demo account")

    def handle(self, *args, staff: int, password: str, **options):
        if staff < 1:
            raise CommandError(_("--staff: 1 以上を指定してください"))
        try:
            counts = load_demo(staff=staff, password=password, stdout=self.stdout)
        except DemoDataExists:
            raise CommandError(
                _(
                    "職員または所属が既にあるため、デモデータを読み込みませんでした(空のデータベースで実行してください)。"
                )
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "架空県を読み込みました: 所属 %(departments)d、職員 %(staff)d 人。管理者 admin でサインインできます。"
                )
                % counts
            )
        )
