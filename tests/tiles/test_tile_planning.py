"""How a capped tile is read: through an index that stops at the cap, never a sequential scan
whose cost depends on where the tile's rows lie in the table (tiles/statements.py), with
settings that end with the tile's statement."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import QueryDict

from tests.factories import InterventionFactory
from tests.tiles.helpers import at, tile_of
from tiles.caching import tile_build, tile_params
from tiles.filters import parse_filters
from tiles.layers import LAYERS
from tiles.statements import CAPPED_PLANNER, planned, query_rows, tile_query

LAYER = LAYERS["interventions"]


def _planner_settings() -> dict[str, str]:
    with connection.cursor() as cursor:
        return {name: _show(cursor, name) for name, _value in CAPPED_PLANNER}


def _show(cursor, name: str) -> str:
    cursor.execute("SELECT current_setting(%s)", [name])
    return cursor.fetchone()[0]


def _plan(query: str, params: dict) -> str:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return "\n".join(row[0] for row in query_rows(cursor))


@pytest.mark.django_db(transaction=True)
def test_a_capped_tile_is_not_read_by_a_sequential_scan(community):
    for i in range(60):
        InterventionFactory(community=community, geom=at((i % 8) * 20.0, (i // 8) * 20.0))
    with connection.cursor() as cursor:
        # The table as this test made it: the suite's earlier tests leave its pages behind (the
        # planner would weigh them), and the tile's rows are all the rows, as in a dense tile.
        cursor.execute("VACUUM FULL ANALYZE interventions_intervention")
    z, x, y = tile_of(at(), 16)
    params = tile_params(LAYER, community.pk, z, x, y, parse_filters(LAYER, QueryDict("")))
    explain = "EXPLAIN " + tile_query(LAYER.id, grid=False)

    # With PostgreSQL's default costs this small table is read from start to end: the plan
    # the statement's settings exist to avoid (on 1M rows that scan took 14 to 180 ms a tile).
    assert "Seq Scan on interventions_intervention" in _plan(explain, params)
    plan = _plan(planned(explain, CAPPED_PLANNER), params)
    assert "Seq Scan on interventions_intervention" not in plan
    assert "Index" in plan and "interventions_intervention" in plan


@pytest.mark.django_db(transaction=True)
def test_the_planner_settings_end_with_the_tile_even_when_it_fails(community):
    """Requests run in autocommit: a SET that outlived its tile would change how every later
    query of that connection (the API's, the dashboards') is planned."""
    InterventionFactory(community=community, geom=at())
    before = _planner_settings()
    assert before != dict(CAPPED_PLANNER)  # else the check below could not see a leak
    filters = parse_filters(LAYER, QueryDict(""))
    z, x, y = tile_of(at(), 16)

    built = tile_build(layer=LAYER, community_id=community.pk, z=z, x=x, y=y, filters=filters)
    assert built.features == 1
    assert _planner_settings() == before

    # ST_TileEnvelope refuses x beyond the zoom's grid: the statement fails after its SETs ran.
    with pytest.raises(DatabaseError, match="Invalid tile x value"):
        tile_build(layer=LAYER, community_id=community.pk, z=3, x=9, y=0, filters=filters)
    assert _planner_settings() == before

    # Inside a transaction the failed tile leaves nothing behind either (the rollback undoes it).
    with pytest.raises(DatabaseError), transaction.atomic():
        tile_build(layer=LAYER, community_id=community.pk, z=3, x=9, y=0, filters=filters)
    assert _planner_settings() == before
