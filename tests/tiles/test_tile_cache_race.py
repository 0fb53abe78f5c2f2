"""A tile built while a write to its layer is in flight is served, but never cached stale."""

import threading
import time

import psycopg
import pytest
from django.db import connection, connections

from interventions.models import InterventionStatus
from tests.factories import InterventionFactory
from tests.tiles.helpers import at, decode, tile_of, url
from tiles.models import TileCacheEntry

pytestmark = pytest.mark.django_db(transaction=True)
Z = 16


def libpq() -> str:
    s = connection.settings_dict
    return f"host={s['HOST']} port={s['PORT']} user={s['USER']} dbname={s['NAME']}"


def test_a_tile_read_during_a_write_is_not_cached_stale(api_as, community):
    job = InterventionFactory(community=community, geom=at(), status=InterventionStatus.TODO)
    client = api_as(community)
    tile_url = url("interventions", tile_of(at(), Z))
    with psycopg.connect(libpq()) as writer:  # an agent's sync, committing a bit later
        writer.execute(
            "UPDATE interventions_intervention SET status = 'done', updated_at = now() WHERE id = %s",
            [job.pk],
        )
        served = {}

        def dispatcher_map() -> None:
            try:
                served["response"] = client.get(tile_url)
            finally:
                connections.close_all()

        reader = threading.Thread(target=dispatcher_map)
        reader.start()
        # The tile is built from the old row, then storing it waits for the write in flight.
        with psycopg.connect(libpq(), autocommit=True) as watch:
            deadline = time.monotonic() + 30
            while not watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
            ).fetchone()[0]:
                assert reader.is_alive() and time.monotonic() < deadline, "the tile did not wait"
                time.sleep(0.05)
        writer.commit()
    reader.join(timeout=30)
    first = served["response"]
    assert decode(first)["interventions"]["features"][0]["properties"]["status"] == "todo"
    assert not TileCacheEntry.objects.filter(layer="interventions").exists()  # served, not cached
    second = client.get(tile_url)
    assert second["X-Tile-Cache"] == "miss"
    assert decode(second)["interventions"]["features"][0]["properties"]["status"] == "done"
    assert client.get(tile_url)["X-Tile-Cache"] == "hit"
