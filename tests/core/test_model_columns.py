"""core/sql.py ModelColumns: a hand-written row made into the instance the ORM would make, safe
for the threads of one worker (gunicorn's gthread workers serve two requests at once)."""

import threading

import pytest
from django.db import connection

from core.sql import ModelColumns
from interventions.models import Intervention
from tests.factories import InterventionFactory


def _row(columns: ModelColumns, pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.sql} FROM interventions_intervention i WHERE i.id = %s", [pk])
        return cursor.fetchone()


@pytest.mark.django_db
def test_a_second_caller_while_the_converters_are_built_gets_a_whole_instance(community, monkeypatch):
    """The converters are built on first use. Another thread reaching `instance` while the first
    one builds them must not see a half-built list: it did, and a worker's first concurrent
    edits answered 500 (zip() argument 2 is shorter than argument 1)."""
    planned = InterventionFactory(community=community)
    columns = ModelColumns(Intervention, "i")
    row = _row(columns, planned.pk)
    seen: list[Intervention] = []
    original = connection.ops.get_db_converters

    def interleaved(expression):  # the other thread runs here, between two fields
        monkeypatch.setattr(connection.ops, "get_db_converters", original)
        seen.append(columns.instance(row))
        return original(expression)

    monkeypatch.setattr(connection.ops, "get_db_converters", interleaved)
    first = columns.instance(row)
    assert len(seen) == 1
    for got in (seen[0], first):
        assert got.pk == planned.pk and got.community_id == community.pk
        assert got.geom.equals_exact(planned.geom)


@pytest.mark.django_db
def test_each_thread_converts_with_its_own_converters(community):
    """A geometry's converter reads with the GEOS reader of the thread that built it; shared by
    a worker's threads, it crashed GEOS under load (the mixed-load benchmark: a 500 on an edit)."""
    planned = InterventionFactory(community=community)
    columns = ModelColumns(Intervention, "i")
    row = _row(columns, planned.pk)
    got: dict[str, tuple] = {}

    def convert(name: str) -> None:
        instances = [columns.instance(row) for _ in range(50)]
        got[name] = (columns._converters(), instances[-1])

    threads = [threading.Thread(target=convert, args=(f"t{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (a_hooks, a), (b_hooks, b) = got["t0"], got["t1"]
    assert a_hooks is not b_hooks  # nothing of one thread's converters is used by another
    assert a.geom.equals_exact(planned.geom) and b.geom.equals_exact(planned.geom)
