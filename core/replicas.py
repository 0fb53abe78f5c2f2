"""Reads that tolerate a little lag go to PostgreSQL streaming replicas; the rest stays primary.

`DATABASE_REPLICA_URL` (one URL, or several separated by commas or spaces) adds the database
aliases `replica_0`, `replica_1`… (config/settings/base.py). Which requests may read from a
replica is decided by URL, once per request, by `ReplicaReadsMiddleware`: GET and HEAD under
`RONDE_REPLICA_READ_PATHS` (tiles and heatmaps, dashboards, OGC API and WFS, Open311 reads,
exports). Everything else (the REST API, agent sync, planning and optimising, imports, admin,
log-in) reads its own writes on the primary.

Inside such a request the router (config/routers.py) sends ORM reads to the replica chosen for
the request, and raw SQL reads use `read_connection()`; writes, anything inside a transaction
on the primary, and the tables that say who the caller is (sessions, users, tokens,
memberships: a fresh log-in must not look logged out on a lagging replica) stay on the primary.

The lag bound: a replica is used while it replays the primary's WAL less than
`RONDE_REPLICA_MAX_LAG_S` (default 5) behind and answers; otherwise reads fall back to the
primary, and the change of state (not every request) is logged. Lag is the age of the last
replayed transaction when WAL is waiting to be replayed, 0 when everything received is
replayed, and "too far" when the replica is not streaming from a primary (a broken link would
otherwise look like 0 lag forever). Each worker checks a replica at most every
`RONDE_REPLICA_CHECK_S` seconds (default 1): one ~0.1 ms query.

With several replicas, each request takes the next healthy one in turn.

The tile cache is an UNLOGGED table, which a standby cannot read: it lives on the primary.
A tile built on a replica is stored there only if no write to its layer was missing from the
replica's snapshot (tiles/sql/cache_put.sql compares the build's snapshot with the primary's
purge log, and an unreplayed transaction is invisible in a standby's snapshot), so a lagging
replica never puts a stale tile in the cache.
"""

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from core.sql import run_sql, sql_text

PRIMARY = "default"
REPLICA_PREFIX = "replica_"
# Apps whose rows say who the caller is, or are queues and caches written on the primary.
PRIMARY_ONLY_APPS = frozenset(
    {
        "sessions",
        "auth",
        "authtoken",
        "accounts",
        "axes",
        "contenttypes",
        "django_tasks_database",
        "django_tasks_db",
    }
    # tiles: the tile cache and purge log are UNLOGGED or written by every request (see above)
    | {"tiles"}
)
LAG_SQL = Path(__file__).resolve().parent / "sql" / "replica_lag.sql"

log = logging.getLogger("ronde.replicas")


@dataclass
class _Choice:
    """The replica chosen for one request (None: the primary), decided at its first read."""

    alias: str | None = None
    decided: bool = False


_request: ContextVar[_Choice | None] = ContextVar("ronde_replica_choice", default=None)


@dataclass(frozen=True)
class Health:
    lag: float | None  # seconds behind the primary; None: unreachable or not a streaming standby
    checked_at: float

    def usable(self, max_lag: float) -> bool:
        return self.lag is not None and self.lag <= max_lag


_health: dict[str, Health] = {}
_state: dict[str, bool] = {}  # alias -> last logged usability, to log changes only
_lock = threading.Lock()
_turn = itertools.count()


def replica_aliases() -> list[str]:
    return sorted(alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX))


def measure_lag(alias: str) -> float | None:
    """Seconds `alias` is behind its primary, or None when it cannot be used."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql_text(LAG_SQL))
            row = cursor.fetchone()
    except DatabaseError:
        # Down or restarting: the next check reconnects.
        connection.close()
        return None
    return None if row is None or row[0] is None else float(row[0])


def replica_health(alias: str, *, now: float | None = None) -> Health:
    """The alias's lag, measured at most every RONDE_REPLICA_CHECK_S seconds per process."""
    now = time.monotonic() if now is None else now
    known = _health.get(alias)
    if known is not None and now - known.checked_at < settings.RONDE_REPLICA_CHECK_S:
        return known
    health = Health(lag=measure_lag(alias), checked_at=now)
    with _lock:
        _health[alias] = health
        usable = health.usable(settings.RONDE_REPLICA_MAX_LAG_S)
        if _state.get(alias, True) != usable:
            if usable:
                log.warning(
                    "replica %s is back (lag %.1f s): lag-tolerant reads use it again", alias, health.lag
                )
            else:
                reason = (
                    "unreachable or not streaming" if health.lag is None else f"{health.lag:.1f} s behind"
                )
                log.warning("replica %s is %s: lag-tolerant reads fall back to the primary", alias, reason)
        _state[alias] = usable
    return health


def forget_health() -> None:
    """Measure every replica again at the next read (tests, after a failover)."""
    with _lock:
        _health.clear()


def healthy_replica() -> str | None:
    """The next replica within the lag bound, in turn; None when none is (use the primary)."""
    aliases = replica_aliases()
    if not aliases:
        return None
    start = next(_turn)
    for i in range(len(aliases)):
        alias = aliases[(start + i) % len(aliases)]
        if replica_health(alias).usable(settings.RONDE_REPLICA_MAX_LAG_S):
            return alias
    return None


def read_alias() -> str:
    """Where a lag-tolerant read of the current request goes: a replica, or the primary."""
    choice = _request.get()
    if choice is None or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    if not choice.decided:
        choice.alias = healthy_replica()
        choice.decided = True
    return choice.alias or PRIMARY


def read_connection() -> BaseDatabaseWrapper:
    """The connection for a raw-SQL read that tolerates lag (see read_alias)."""
    return connections[read_alias()]


def read_sql(path: str | Path, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """core.sql.run_sql for a read that tolerates lag: on the request's replica when allowed."""
    return run_sql(path, params, using=read_alias())


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads inside go to a replica (one chosen for the whole block)."""
    token = _request.set(_Choice())
    try:
        yield
    finally:
        _request.reset(token)


def replica_read_path(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    return any(request.path.startswith(prefix) for prefix in settings.RONDE_REPLICA_READ_PATHS)


class ReplicaReadsMiddleware:
    """Marks the requests whose reads may go to a replica (none without DATABASE_REPLICA_URL)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = bool(replica_aliases())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (self.enabled and replica_read_path(request)):
            return self.get_response(request)
        choice = _Choice()
        token = _request.set(choice)
        try:
            response = self.get_response(request)
            if response.streaming:  # rows read while streaming (exports): decided now, read below
                read_alias()
        finally:
            _request.reset(token)
        if isinstance(response, StreamingHttpResponse):
            response.streaming_content = _streamed_with(choice, response.streaming_content)
        if choice.decided:  # which database answered, for operators and tests
            response["X-Ronde-Read-From"] = "replica" if choice.alias else "primary"
        return response


def _streamed_with(choice: _Choice, content: Iterator[bytes]) -> Iterator[bytes]:
    """A streamed body read under the request's replica choice (after the view has returned)."""
    iterator = iter(content)
    while True:
        token = _request.set(choice)
        try:
            chunk = next(iterator, None)
        finally:
            _request.reset(token)
        if chunk is None:
            return
        yield chunk


class ReadReplicaRouter:
    """Django's router: lag-tolerant ORM reads to the request's replica, everything else primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replicas are copies of the primary: same rows, same ids

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY
