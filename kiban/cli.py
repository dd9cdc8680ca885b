"""The `kiban` console script: a thin wrapper over Django's management commands (CONTRACT.md)."""

from __future__ import annotations

import os
import sys

# The commands of CONTRACT.md, in the order a new administrator needs them. A command a later module has not
# built yet is left out of the list (see `_available`).
COMMANDS = [
    (
        "serve",
        "[--host H] [--port P] [--demo] [--workers N]",
        "migrate, then serve HTTP + WebSocket and the worker",
    ),
    ("worker", "[--batch]", "the background worker alone (scaled-out deployments)"),
    ("demo", "[--staff N] [--password P]", "load the fictional prefecture (架空県)"),
    (
        "import-staff",
        "FILE.csv [--dry-run] [--full] [--effective DATE]",
        "staff and departments from an HR CSV",
    ),
    ("import-ics", "USERNAME FILE.ics", "one person's schedule from an .ics file"),
    ("import-schedules", "DIR", "a folder of USERNAME.ics files"),
    ("backup", "FILE", "a consistent backup of database and files"),
    ("restore", "FILE", "restore a backup"),
    ("manage", "COMMAND …", "any Django management command (createsuperuser, check --deploy, …)"),
]


def usage() -> str:
    available = _available()
    lines = ["usage: kiban COMMAND [OPTIONS]   (kiban COMMAND --help for its options)", "", "commands:"]
    for name, args, description in COMMANDS:
        if name == "manage" or name.replace("-", "_") in available:
            lines.append(f"  {name} {args}".ljust(62) + f"  {description}")
    return "\n".join(lines)


def _available() -> set[str]:
    import django
    from django.core.management import get_commands

    django.setup()
    return set(get_commands())


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiban.settings")
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(usage())
        return
    command, rest = argv[0], argv[1:]
    if command == "manage":
        execute_from_command_line(["kiban manage", *rest])
        return
    execute_from_command_line(["kiban", command.replace("-", "_"), *rest])


if __name__ == "__main__":
    main()
