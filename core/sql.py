"""The one helper that runs the named .sql files kept beside the code, with %(name)s parameters (SQL lives in .sql files, not in strings)."""

import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, connections
from django.db.models import Model

from .per_thread import per_thread
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


class ModelColumns:
    """One model's columns in a hand-written statement, and how its row becomes an instance
    as the ORM would make it (the same converters: geometries, JSON, decimals). For hot reads
    run with fetch_prepared, where compiling a queryset costs more than the query itself."""

    def __init__(self, model: type[Model], alias: str, *, without: tuple[str, ...] = ()) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if f.name not in without]
        self.names = [f.attname for f in self.fields]
        self.sql = ", ".join(f'{alias}."{f.column}"' for f in self.fields)

    def _converters(self) -> list[list[tuple[Any, Any]]]:
        """Each field's converters, built on a thread's first use and kept for that thread only:
        the connection's operations are needed, and a geometry's converter reads with GEOS's
        WKB reader of the thread that made it, which another thread must not use (shared, a
        worker's second thread crashed GEOS under load: a 500 on an agent's edit)."""

        def build() -> list[list[tuple[Any, Any]]]:
            converters = []
            for f in self.fields:
                col = f.get_col(self.model._meta.db_table)
                hooks = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                converters.append([(hook, col) for hook in hooks])
            return converters

        return per_thread("model-columns", self, build, limit=64)

    def instance(self, values: Sequence[Any]) -> Model:
        """The instance of these columns' values (fields left out load on access, as deferred)."""
        converted = []
        for value, hooks in zip(values, self._converters(), strict=True):
            for hook, col in hooks:
                value = hook(value, col, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.names, converted)


def insert_values(instance: Model, *, without: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """{column: value} as the ORM's INSERT of `instance` would send them (auto_now_add dates,
    geometry and JSON adapters), for a hand-written INSERT run with fetch_prepared. Sends no
    signal: for models nothing listens to."""
    add = instance._state.adding
    return {
        f.column: f.get_db_prep_save(f.pre_save(instance, add), connection)
        for f in instance._meta.concrete_fields
        if f.name not in without
    }
