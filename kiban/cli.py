"""The `kiban` console script: a thin wrapper over Django's management commands (CONTRACT.md)."""

from __future__ import annotations

import os
import sys

import django
from django.core.management import execute_from_command_line, get_commands

from kiban.core import modules


def usage() -> str:
    """The commands of CONTRACT.md that exist, in the order a new administrator needs them. Each module
    declares its own (`commands` in its AppConfig, `kiban.core.modules.Command`)."""
    django.setup()
    available = set(get_commands())
    lines = ["usage: kiban COMMAND [OPTIONS]   (kiban COMMAND --help for its options)", "", "commands:"]
    for command in modules.commands():
        # A command a module has not built yet (e.g. backup before the operations issue) is left out.
        if command.name.replace("-", "_") in available:
            lines.append(f"  {command.name} {command.args}".ljust(62) + f"  {command.description}")
    lines.append(
        "  manage COMMAND …".ljust(62)
        + "  any Django management command (createsuperuser, check --deploy, …)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiban.settings")

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
