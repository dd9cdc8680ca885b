"""What every database benchmark shares: a throwaway database (a temporary SQLite file, or
`<name>_bench_<suffix>` on the PostgreSQL server of the given URL, dropped afterwards) and percentiles."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def configure(db_url: str | None, tmp: Path, suffix: str) -> str:
    """Point Django at a fresh database and set it up; returns the database name."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiban.settings")
    os.environ.setdefault("KIBAN_DATA_DIR", str(tmp))
    from django.conf import settings

    if db_url:
        import dj_database_url
        import psycopg

        db = dj_database_url.parse(db_url, conn_max_age=0)
        name = f"{db['NAME']}_bench_{suffix}"
        admin = psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
            dbname="postgres", autocommit=True,
        )  # fmt: skip
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        db["NAME"] = name
        settings.DATABASES["default"] = db
    else:
        settings.DATABASES["default"]["NAME"] = tmp / "bench.sqlite3"
    import django

    django.setup()
    return settings.DATABASES["default"]["NAME"]


def drop_pg(db_url: str, name: str) -> None:
    import dj_database_url
    import psycopg
    from django.db import connections

    connections.close_all()
    db = dj_database_url.parse(db_url)
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
