"""Progress of background jobs (django-tasks run by `manage.py db_worker`), seen by the page
that polls while the job works.

The job's own work runs in one transaction (an import, a mission's round): an update of its
progress row made inside that transaction would stay invisible until the very end. The
writer below uses its own autocommit connection instead.
"""

import time
from datetime import datetime, timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql


def worker_stalled(*, queued_since: datetime) -> bool:
    """A job still queued after RONDE_WORKER_STALLED_S (30 s): no background worker seems
    to run, and the page waiting for it says so."""
    return timezone.now() - queued_since > timedelta(seconds=settings.RONDE_WORKER_STALLED_S)


class ProgressWriter:
    """UPDATE <table> SET <columns> WHERE id = <job_id>, on an autocommit connection of its
    own, at most every `every_s` seconds unless forced (a new stage, the last step)."""

    def __init__(self, *, table: str, job_id: int, every_s: float = 0.5) -> None:
        self.table = table
        self.job_id = job_id
        self.every_s = every_s
        self.last = 0.0
        self.conn: psycopg.Connection | None = None
        self.failed = False

    def _connect(self) -> psycopg.Connection | None:
        params = connection.settings_dict
        try:
            return psycopg.connect(
                dbname=params["NAME"],
                user=params.get("USER") or None,
                password=params.get("PASSWORD") or None,
                host=params.get("HOST") or None,
                port=params.get("PORT") or None,
                autocommit=True,
                connect_timeout=5,
            )
        except psycopg.Error:
            self.failed = True  # progress is a nicety; the job goes on without it
            return None

    def write(self, *, force: bool = False, **columns: Any) -> None:
        now = time.monotonic()
        if (now - self.last < self.every_s and not force) or self.failed:
            return
        self.last = now
        if self.conn is None:
            self.conn = self._connect()
        if self.conn is None:
            return
        statement = sql.SQL("UPDATE {} SET {}, updated_at = now() WHERE id = %(id)s").format(
            sql.Identifier(self.table),
            sql.SQL(", ").join(sql.SQL("{} = %({})s").format(sql.Identifier(c), sql.SQL(c)) for c in columns),
        )
        try:
            self.conn.execute(statement, {**columns, "id": self.job_id})
        except psycopg.Error:
            self.failed = True

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
