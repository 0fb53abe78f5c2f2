"""A worker's line to the database's notifications: when may it answer a tile hit from memory?

Why: a cached-tile hit that asks the database (the caller and the cache row, prepared, one
round trip) costs ~0.8 ms under gunicorn on a 2-vCPU machine, where building the tile costs
~23 ms; issue 4 asks for 20x. Answered from the worker's memory, a hit costs no round trip.

The rule that keeps that safe: a worker uses its memory only while it LISTENs on
ronde_tile_hits, and reads every pending notification before each use. The database notifies
from the writing transaction (sql/hit_notify.sql) whenever a caller's decision or a cached tile
could change, and PostgreSQL delivers a notification to listeners when that transaction commits:
a token deleted, a membership changed, a password changed, a session logged out, a tile purged
by a write is forgotten by every worker before it answers any request that reaches it once the
notification has (the listening backend sends it as the commit returns: ~40 µs on loopback,
measured; the writer's own HTTP response takes longer than that to reach anyone).
A worker also does not trust what it read while a notification came (`epoch`, compared before
and after by hit_shortcut.py), forgets everything whenever its line broke (`session`), and
checks the line every PING_S seconds. A thread reads notifications as they come in between.

RONDE_TILE_HIT_LISTEN turns this off (behind PgBouncer in transaction pooling, which cannot
LISTEN): then every hit asks the database, as before.
"""

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection

from core.sql import sql_path, sql_text

logger = logging.getLogger(__name__)

CHANNEL = "ronde_tile_hits"
APPLICATION_NAME = "ronde tile-hit listener"  # as pg_stat_activity shows it
PING_S = 5.0  # a broken line is found by the next read; a silent one by this ping (and keepalives)
RETRY_S = 5.0  # after a failure, the next attempt to listen
# Connection parameters Django adds for its own cursors, not for a bare listening connection.
DJANGO_ONLY = {"cursor_factory", "context", "prepare_threshold", "server_side_binding"}


def connection_params() -> dict[str, Any]:
    """Django's parameters for its database, as psycopg.connect takes them for a bare connection."""
    return {k: v for k, v in connection.get_connection_params().items() if k not in DJANGO_ONLY}


def _triggers_installed(conn: psycopg.Connection) -> bool:
    """Are all the triggers of sql/hit_notify.sql there and enabled? Without them nothing would
    tell the worker to forget (a database not migrated since, triggers disabled by hand)."""
    expected = sql_text(sql_path(__file__, "hit_notify.sql")).count("CREATE OR REPLACE TRIGGER")
    row = conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tiles\\_hit\\_forget%' AND tgenabled <> 'D'"
    ).fetchone()
    return row is not None and row[0] == expected


class HitListener:
    """Per worker process: the listening connection, the notifications read, and the epochs."""

    def __init__(self, forget: Callable[[str], None]) -> None:
        self._forget = forget  # applies a payload ('callers', 'tiles:<id>', 'tiles:*') to the memory
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._inherited: list[psycopg.Connection] = []
        self._pid = 0
        self._retry_at = 0.0
        self._ping_at = 0.0
        self.epoch = 0  # +1 per notification read
        self.session = 0  # the listening connection's number (never reused); 0: not listening
        self._sessions = 0

    def current(self) -> tuple[int, int] | None:
        """(session, epoch) after reading every pending notification; None: memory not to be trusted."""
        if not settings.RONDE_TILE_HIT_LISTEN:
            if self._conn is not None:
                self.close()
            return None
        with self._lock:
            if (self._conn is None or self._pid != os.getpid()) and not self._connect():
                return None
            conn = self._conn
            return (self.session, self.epoch) if conn is not None and self._drain(conn) else None

    def _drain(self, conn: psycopg.Connection) -> bool:
        """Read every notification that arrived (the lock held); False: the line broke."""
        try:
            conn.pgconn.consume_input()  # non-blocking: what the socket has, no round trip
            while (note := conn.pgconn.notifies()) is not None:
                self._read(note.extra.decode())
            if time.monotonic() >= self._ping_at:
                conn.execute("SELECT 1")  # notifications arriving meanwhile go to _on_notify
                self._ping_at = time.monotonic() + PING_S
        except Exception:  # noqa: BLE001 — any doubt about the line: forget, ask the database
            logger.warning("tile hit listener lost its connection; hits ask the database", exc_info=True)
            self._drop()
            return False
        return True

    def _watch(self, conn: psycopg.Connection) -> None:
        """Read notifications as they come, so an idle worker's line never backs up the
        database's notification queue (a listener that does not read holds it for everyone)."""
        fd = conn.pgconn.socket
        while True:
            with contextlib.suppress(OSError, ValueError):  # closed under us: ends just below
                select.select([fd], [], [], PING_S)
            with self._lock:
                if self._conn is not conn or not self._drain(conn):
                    return

    def _read(self, payload: str) -> None:
        self.epoch += 1
        self._forget(payload)

    def _forget_everything(self) -> None:
        self.epoch += 1
        self._forget("callers")
        self._forget("tiles:*")

    def _on_notify(self, note: psycopg.Notify) -> None:
        self._read(note.payload)

    def _connect(self) -> bool:
        if self._conn is not None:  # inherited across a fork: the parent's line, never to be
            self._inherited.append(self._conn)  # closed here (that would end it for the parent)
            self._conn = None
            self.session = 0
        if time.monotonic() < self._retry_at:
            return False
        params = connection_params() | {
            "application_name": APPLICATION_NAME,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 2,
        }
        try:
            conn = psycopg.connect(**params, autocommit=True, connect_timeout=5)
            if not _triggers_installed(conn):
                conn.close()
                logger.warning("the tile-hit triggers are missing (run migrate); hits ask the database")
                self._retry_at = time.monotonic() + RETRY_S
                return False
            conn.add_notify_handler(self._on_notify)
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception:  # noqa: BLE001 — the database path still answers every hit
            logger.warning("tile hit listener cannot listen; hits ask the database", exc_info=True)
            self._retry_at = time.monotonic() + RETRY_S
            return False
        self._conn, self._pid = conn, os.getpid()
        self._ping_at = time.monotonic() + PING_S
        threading.Thread(target=self._watch, args=(conn,), name="tile-hit-listener", daemon=True).start()
        self._sessions += 1
        self.session = self._sessions
        self._forget_everything()  # whatever the memory holds was read without listening
        return True

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.session = 0
        self._forget_everything()
        self._retry_at = time.monotonic() + RETRY_S
        if conn is not None:
            with contextlib.suppress(Exception):  # it is gone either way
                conn.close()

    def close(self) -> None:
        """Stop listening (tests, before the test database is dropped; the setting turned off)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._drop()
            self._conn, self._retry_at = None, 0.0
