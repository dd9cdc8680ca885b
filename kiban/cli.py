"""The `kiban` console script: a thin wrapper over Django's management commands (CONTRACT.md)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiban.settings")
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        print("commands: serve, worker, demo, import-staff, manage …")
        return
    command, rest = argv[0], argv[1:]
    if command == "manage":
        execute_from_command_line(["kiban manage", *rest])
        return
    execute_from_command_line(["kiban", command.replace("-", "_"), *rest])


if __name__ == "__main__":
    main()
