"""The one helper that runs the named .sql files kept beside the code, with %(name)s parameters (SQL lives in .sql files, not in strings)."""

import time
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, connections

from .timing import db_time_add


@cache
def sql_text(path: str | Path) -> str:
    """The text of a .sql file, read once per process."""
    return Path(path).read_text(encoding="utf-8")


def run_sql(
    path: str | Path, params: dict[str, Any] | None = None, *, using: str = "default"
) -> list[tuple[Any, ...]]:
    """Run the statement in `path` with %(name)s parameters; return its rows (if any).

    `using`: the database alias (core.replicas.read_sql passes a replica's for lag-tolerant reads).
    """
    with connections[using].cursor() as cursor:
        cursor.execute(sql_text(path), params or {})
        return cursor.fetchall() if cursor.description else []


@cache  # Path.resolve() is a few system calls: ~0.1 ms, a tenth of a cached tile's cost
def sql_path(module_file: str, name: str) -> Path:
    """`sql_path(__file__, "cost_matrix.sql")` -> <module dir>/sql/cost_matrix.sql."""
    return Path(module_file).resolve().parent / "sql" / name


def fetch_prepared(statement: str, params: dict[str, Any], *, binary: bool = False) -> tuple[Any, ...] | None:
    """The first row of a hot statement, prepared once per connection (RONDE_DB_PREPARED_STATEMENTS).

    Django's cursors bind parameters on the client, so PostgreSQL parses and plans every
    statement on every execution, and results come as text. For statements every request runs
    (the caller's membership, a cached tile) this uses psycopg's own cursor on Django's
    connection: prepared, the five-table caller + tile statement went from 0.50 to 0.10 ms;
    `binary` results spare a bytea its hex encoding (an 80 KB tile: 0.85 -> 0.50 ms).
    """
    connection.ensure_connection()
    raw = connection.connection
    prepare = bool(settings.RONDE_DB_PREPARED_STATEMENTS)
    if prepare and raw.prepare_threshold is None:
        # Django turns psycopg's automatic preparing off; with a threshold no statement
        # reaches, only those executed with prepare=True are prepared (Django's own cursors
        # bind on the client and never prepare).
        raw.prepare_threshold = 2**31 - 1
    start = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(statement, params, binary=binary, prepare=prepare)
        row = cursor.fetchone()
    db_time_add(time.monotonic() - start)  # outside Django's cursors: counted for Server-Timing
    if connection.queries_logged:  # as Django's debug cursor does: counted in tests, shown in DEBUG
        sql = f"{statement} -- prepared: {params!r}"
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - start:.3f}"})
    return row
