"""POST /api/v1/missions/{id}/optimize/ on a zone holding far more jobs than a shift: the
round fits, urgent and offensive jobs are in it, every other job stays with a reason."""

import json

from django.contrib.gis.geos import Point

from geo.routing.preselect import LEFT_IN_POOL, MIN_JOBS
from tests.factories import POITIERS, CategoryFactory, InterventionFactory, TeamFactory, square
from tests.geo.routing_grids import grid

URL = "/api/v1/missions/"


def at(dx: float, dy: float) -> Point:
    return Point(POITIERS[0] + dx, POITIERS[1] + dy, srid=2154)


def test_a_big_zone_keeps_what_fits_and_leaves_the_rest_in_the_pool(api_as, community):
    grid(community, n=4, step=100)
    team = TeamFactory(community=community, depot=at(0, 0))
    category = CategoryFactory(community=community, service_minutes=15)
    spots = [(x * 100 + 50, y * 100 + 2) for x in range(4) for y in range(5)]
    jobs = [
        InterventionFactory(
            community=community, category=category, geom=at(*spots[k % len(spots)]), priority=2
        )
        for k in range(MIN_JOBS + 20)
    ]
    urgent = InterventionFactory(community=community, category=category, geom=at(350, 402), priority=1)
    offensive = InterventionFactory(
        community=community, category=category, geom=at(302, 350), priority=2, offensive=True
    )
    zone = square(POITIERS[0] + 200, POITIERS[1] + 200, 300)
    zone.transform(4326)
    client = api_as(community)
    body = {
        "zone": json.loads(zone.json),
        "date": "2025-06-02",
        "team": team.pk,
        "profile": "walk",
        "shift_start": "08:00",
        "shift_end": "10:00",
    }
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    mission_id = response.json()["id"]
    response = client.post(f"{URL}{mission_id}/optimize/", {}, format="json")
    assert response.status_code == 200, response.json()
    stops = response.json()["properties"]["stops"]
    assert len(stops) == len(jobs) + 2
    planned = [s for s in stops if s["status"] == "planned"]
    left = [s for s in stops if s["status"] == "unassigned"]
    # 15-minute jobs in a 2-hour shift: at most 8, and the walk between them takes some.
    assert 4 <= len(planned) <= 8
    assert {urgent.pk, offensive.pk} <= {s["intervention"] for s in planned}
    assert len(planned) + len(left) == len(stops)
    assert {s["reason"] for s in left} <= {LEFT_IN_POOL, "no time left in the shift"}
    assert sum(s["reason"] == LEFT_IN_POOL for s in left) >= len(stops) - 10
    assert max(s["planned_departure"] for s in planned) <= "2025-06-02T10:00:00+02:00"
