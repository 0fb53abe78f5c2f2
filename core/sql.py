"""The one helper that runs the named .sql files kept beside the code, with %(name)s parameters (SQL lives in .sql files, not in strings)."""

import re
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, connections
from django.db.models import Model
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import ConnStatus, DiagnosticField, ExecStatus, Format, TransactionStatus

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
    (the caller's membership, a cached tile) this runs them on Django's connection through
    libpq directly (`_Prepared`): prepared, the five-table caller + tile statement went from
    0.50 to 0.10 ms; `binary` results spare a bytea its hex encoding (an 80 KB tile: 0.85 ->
    0.50 ms). Parameters and results go through the connection's own psycopg adapters.
    """
    connection.ensure_connection()
    raw = connection.connection
    start = time.monotonic()
    with connection.wrap_database_errors:
        if settings.RONDE_DB_PREPARED_STATEMENTS:
            row = _prepared(raw).fetch(statement, params, binary=binary)
        else:  # behind a pooler that loses prepared statements: a plain psycopg cursor
            with psycopg.Cursor(raw) as cursor:
                cursor.execute(statement, params, binary=binary, prepare=False)
                row = cursor.fetchone()
    db_time_add(time.monotonic() - start)  # outside Django's cursors: counted for Server-Timing
    if connection.queries_logged:  # as Django's debug cursor does: counted in tests, shown in DEBUG
        sql = f"{statement} -- prepared: {params!r}"
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - start:.3f}"})
    return row


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")


@cache
def _numbered(statement: str) -> tuple[bytes, tuple[str, ...]]:
    """`statement` with its %(name)s placeholders as $1, $2… (a name used twice is one number),
    and the names in that order. Only %(name)s and %% are taken, as psycopg takes them."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        if match.group(1) is None:
            raise ValueError(f"a lone % in a prepared statement (write %%): {statement[:80]!r}")
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PLACEHOLDER.sub(number, statement).encode(), tuple(names)


class _Prepared:
    """The statements fetch_prepared prepared on one connection, run through libpq directly.

    Why not a psycopg cursor with prepare=True: per statement, its Python side (the cursor, the
    query's conversion, the generator-driven wait) cost ~40 µs of a ~140 µs cached-tile read
    (measured at 1M interventions, 39 KB tiles); libpq's blocking PQexecPrepared (it releases
    the GIL) with the connection's own adapters (psycopg's Transformer: the same dumpers and
    loaders, Django's and GeoDjango's included) gives the same rows without it.

    A statement is prepared once per connection and parameter types (psycopg picks int2, int4
    or int8 by value, and a statement prepared for one must not be sent another), under a name
    psycopg never uses. At MAX_STATEMENTS per connection, the rest runs unprepared.
    """

    MAX_STATEMENTS = 100

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.tx = Transformer(raw)
        self.names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}

    def fetch(self, statement: str, params: dict[str, Any], *, binary: bool) -> tuple[Any, ...] | None:
        with self.raw.lock:  # as psycopg's cursors hold it
            return self._fetch(statement, params, binary=binary)

    def _fetch(self, statement: str, params: dict[str, Any], *, binary: bool) -> tuple[Any, ...] | None:
        query, names = _numbered(statement)
        tx, pgconn = self.tx, self.raw.pgconn
        values = tx.dump_sequence([params[name] for name in names], [PyFormat.AUTO] * len(names))
        types, formats = tuple(tx.types or ()), tx.formats
        result_format = Format.BINARY if binary else Format.TEXT
        if not self.raw.autocommit and pgconn.transaction_status == TransactionStatus.IDLE:
            # Inside Django's atomic(), psycopg begins the transaction lazily, on a cursor's
            # first statement: the same BEGIN (isolation level included), or this would run
            # outside it, unlocked and uncommitted with it.
            self.raw.wait(self.raw._start_query())
        key = (query, types)
        name = self.names.get(key)
        if name is None and len(self.names) < self.MAX_STATEMENTS:
            name = f"ronde_fetch_{len(self.names)}".encode()
            self._check(pgconn.prepare(name, query, types), ExecStatus.COMMAND_OK)
            self.names[key] = name
        if name is None:
            result = pgconn.exec_params(query, values, types, formats, result_format)
        else:
            # None is SQL NULL to libpq, as psycopg's own cursors send it (the stub omits it).
            result = pgconn.exec_prepared(name, values, formats, result_format)  # type: ignore[arg-type]
        self._check(result, ExecStatus.TUPLES_OK)
        if result.ntuples == 0:
            return None
        tx.set_pgresult(result)
        row = tx.load_row(0, tuple)
        tx.set_pgresult(None)  # the result (a whole tile's bytes) is not kept until the next call
        return row

    def _check(self, result: Any, expected: ExecStatus) -> None:
        if result.status == expected:
            return
        encoding = self.raw.info.encoding
        if self.raw.pgconn.status == ConnStatus.BAD or not result.error_field(DiagnosticField.SQLSTATE):
            # libpq's own error (the server gone, a failover): psycopg's cursors raise an
            # OperationalError there, which the error views answer with 503 and Retry-After.
            raise psycopg.OperationalError(result.get_error_message(encoding))
        raise psycopg.errors.error_from_result(result, encoding=encoding)


def _prepared(raw: psycopg.Connection[Any]) -> _Prepared:
    """The connection's `_Prepared` (a new connection, a new one: its statements died with the old).

    Kept on the connection itself: it holds the connection (its Transformer does), so a map
    keyed by weak references would keep every closed connection alive; as an attribute it is
    a cycle the garbage collector frees with the connection."""
    state: _Prepared | None = getattr(raw, "_ronde_prepared", None)
    if state is None:
        state = _Prepared(raw)
        raw._ronde_prepared = state  # type: ignore[attr-defined]
    return state


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
