"""core/sql.py fetch_prepared: hot statements run through libpq on Django's connection, prepared
once per connection, with the rows, errors and transactions a psycopg cursor would give."""

import datetime as dt
import gc
import os
import socket
import weakref

import psycopg
import pytest
from django.db import DataError, OperationalError, connection, transaction

from core.sql import fetch_prepared
from tests.factories import InterventionFactory

NUMBERS = "SELECT %(n)s::bigint * 2, %(n)s::bigint + %(m)s::bigint, %(label)s::text, '100 %%'"


def _prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'ronde\\_fetch\\_%%'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_values_of_every_size_repeated_names_nulls_and_percent_signs():
    """psycopg sends 1 as int2 and 70,000 as int4: a statement prepared for one must not be
    sent the other (PostgreSQL then reads the wrong number of bytes and refuses the call)."""
    for n in (1, 70_000, 2**40, -3):
        assert fetch_prepared(NUMBERS, {"n": n, "m": 1, "label": "tags"}) == (2 * n, n + 1, "tags", "100 %")
    assert fetch_prepared(NUMBERS, {"n": 5, "m": 1, "label": None}) == (10, 6, None, "100 %")
    assert fetch_prepared("SELECT 1 WHERE %(n)s::int > 1", {"n": 1}) is None
    # Prepared, with $n for the names (one number for a name used twice), not planned per call.
    assert any("$1::bigint * 2, $1::bigint + $2::bigint, $3::text" in s for s in _prepared_here())


@pytest.mark.django_db
def test_rows_come_through_the_connections_adapters(community):
    """Dates in the connection's time zone, geometries as GeoDjango reads them, bytes as bytes."""
    planned = InterventionFactory(community=community)
    statement = "SELECT created_at, geom FROM interventions_intervention WHERE id = %(pk)s"
    row = fetch_prepared(statement, {"pk": planned.pk})
    assert row is not None
    created, geom = row
    assert isinstance(created, dt.datetime) and created == planned.created_at
    assert fetch_prepared("SELECT decode('00ff', 'hex'), %(n)s::int", {"n": 7}, binary=True) == (
        b"\x00\xff",
        7,
    )
    with connection.cursor() as cursor:  # the same value Django's own cursor reads
        cursor.execute("SELECT geom FROM interventions_intervention WHERE id = %s", [planned.pk])
        assert geom == cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_failing_statement_is_djangos_error_and_the_connection_goes_on():
    with pytest.raises(DataError, match="division by zero"):
        fetch_prepared("SELECT 1 / %(n)s::int", {"n": 0})
    assert fetch_prepared("SELECT 1 / %(n)s::int", {"n": 1}) == (1,)


@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_is_an_operational_error():
    """The database gone without a word (a failover, a cable): libpq's error carries no SQLSTATE.
    It must be the OperationalError a psycopg cursor raises, which the error views answer with
    503 and Retry-After (config/views.py), not a 500."""
    assert fetch_prepared("SELECT %(n)s::int", {"n": 1}) == (1,)
    fd = connection.connection.pgconn.socket
    socket.socket(fileno=os.dup(fd)).shutdown(socket.SHUT_RDWR)  # the line cut under libpq
    try:
        with pytest.raises(OperationalError):
            fetch_prepared("SELECT %(n)s::int", {"n": 2})
    finally:
        connection.close()
    assert fetch_prepared("SELECT %(n)s::int", {"n": 3}) == (3,)  # a new connection


@pytest.mark.django_db(transaction=True)
def test_a_closed_connection_is_freed_with_what_it_prepared():
    """Django closes a connection after CONN_MAX_AGE: its statements' bookkeeping (which holds
    the connection) must not keep it alive, or each worker thread would leak one a minute."""
    assert fetch_prepared("SELECT %(n)s::int", {"n": 1}) == (1,)
    closed = weakref.ref(connection.connection)
    connection.close()
    gc.collect()
    assert closed() is None


@pytest.mark.django_db(transaction=True)
def test_inside_atomic_it_runs_in_the_transaction():
    """psycopg begins Django's transaction on a cursor's first statement; a statement sent
    through libpq first must begin it too, or it would run (and commit) on its own."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE fetch_probe (v text)")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert fetch_prepared("INSERT INTO fetch_probe VALUES (%(v)s) RETURNING v", {"v": "kept?"}) == (
            "kept?",
        )
        assert connection.connection.pgconn.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        raise RuntimeError("roll back")
    assert fetch_prepared("SELECT count(*) FROM fetch_probe WHERE v = %(v)s", {"v": "kept?"}) == (0,)


@pytest.mark.django_db
def test_behind_a_pooler_nothing_is_prepared(settings):
    """RONDE_DB_PREPARED_STATEMENTS off (PgBouncer < 1.21 in transaction pooling)."""
    settings.RONDE_DB_PREPARED_STATEMENTS = False
    statement = "SELECT %(n)s::int + 40 -- unprepared"
    assert fetch_prepared(statement, {"n": 2}) == (42,)
    assert not any("unprepared" in s for s in _prepared_here())
