"""An agent's missions tiles hold only their teams' missions, as the API shows them (issue 22),
over real HTTP through the tile-hit shortcut and the tile cache (a dispatcher's cached tile of
every team must never reach an agent, nor one team's tile another team)."""

import gzip

import mapbox_vector_tile
import pytest

from accounts.models import Role
from tests.factories import MissionFactory, TeamFactory, member
from tests.tiles.helpers import url
from tests.tiles.hit_server import TILE, get, token_for

pytestmark = pytest.mark.django_db(transaction=True)


def mission_ids(response) -> set[int]:
    assert response.status_code in (200, 204), response.content[:300]  # 204: an empty tile
    body = response.content
    if response.headers.get("Content-Encoding") == "gzip" and body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    layers = mapbox_vector_tile.decode(body) if body else {}
    return {f["id"] for f in layers.get("missions", {}).get("features", [])}


def test_agents_see_only_their_teams_missions_in_tiles(server, community):
    base, app = server
    north, south = TeamFactory(community=community), TeamFactory(community=community)
    ours = MissionFactory(community=community, team=north, name="Nord")
    theirs = MissionFactory(community=community, team=south, name="Sud")
    north_agent, south_agent = member(community, Role.AGENT), member(community, Role.AGENT)
    north.members.add(north_agent)
    south.members.add(south_agent)
    lonely_agent = member(community, Role.AGENT)
    north_token, south_token, lonely_token = (token_for(u) for u in (north_agent, south_agent, lonely_agent))
    path = url("missions", TILE)

    dispatcher = token_for(member(community, Role.DISPATCHER))
    assert mission_ids(get(base, path, dispatcher)) == {ours.pk, theirs.pk}
    assert mission_ids(get(base, path, dispatcher)) == {ours.pk, theirs.pk}  # now a cache hit

    for _ in range(2):  # built, then from the cache: the same answer both times
        assert mission_ids(get(base, path, north_token)) == {ours.pk}
        assert mission_ids(get(base, path, south_token)) == {theirs.pk}
        assert mission_ids(get(base, path, lonely_token)) == set()
    # An agent's filter asking for another team's missions gets none of them.
    assert mission_ids(get(base, path + f"?team={south.pk}", north_token)) == set()
    # The dispatcher's tile is still every team's.
    assert mission_ids(get(base, path, dispatcher)) == {ours.pk, theirs.pk}
