"""The map's details panel and list (/map/feature/, /map/list/): French, scoped, 400 not 500."""

import pytest

from accounts.models import Role
from geo.models import Support
from interventions.models import InterventionStatus
from tests.factories import AssetFactory, InterventionFactory, MissionFactory, member
from tests.tiles.helpers import at

pytestmark = pytest.mark.django_db
BOX = "0.3,46.5,0.4,46.6"  # around Poitiers


def test_an_asset_shows_its_details_and_history_in_french(client, community):
    door = AssetFactory(community=community, support=Support.DOOR, name="", geom=at(10, 10))
    InterventionFactory(community=community, asset=door, status=InterventionStatus.DONE, method="painting")
    client.force_login(member(community, Role.VIEWER))
    page = client.get("/map/feature/", {"layer": "assets", "id": door.pk, "partial": 1}).content.decode()
    assert f"Site {door.pk} (porte)" in page
    assert "Recouvrement par peinture" in page and "Fait" in page and "door" not in page


def test_another_communitys_feature_is_a_404_and_bad_input_a_400(client, community, other_community):
    foreign = AssetFactory(community=other_community)
    client.force_login(member(community, Role.ADMIN))
    assert client.get("/map/feature/", {"layer": "assets", "id": foreign.pk}).status_code == 404
    bad = client.get("/map/feature/", {"layer": "nope", "id": 1})
    assert bad.status_code == 400 and b'data-field="layer"' in bad.content
    assert client.get("/map/feature/", {"layer": "assets", "id": "x"}).status_code == 400
    assert client.get("/map/list/", {"layer": "assets", "bbox": "1,2,3"}).status_code == 400
    assert client.get("/map/list/", {"layer": "assets"}).status_code == 400


def test_the_list_is_a_table_of_the_box_only(client, community, other_community):
    inside = AssetFactory(community=community, name="Banc du square", geom=at(0, 0))
    AssetFactory(community=community, name="Banc lointain", geom=at(50_000, 50_000))
    AssetFactory(community=other_community, name="Banc étranger", geom=at(5, 5))
    client.force_login(member(community, Role.VIEWER))
    response = client.get("/map/list/", {"layer": "assets", "bbox": BOX})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<table id="feature-list"' in page and "Banc du square" in page
    assert "Banc lointain" not in page and "Banc étranger" not in page
    assert f"id={inside.pk}" in page


def test_agents_see_only_their_teams_missions(client, community):
    mission = MissionFactory(community=community)
    agent = member(community, Role.AGENT)
    client.force_login(agent)
    assert client.get("/map/feature/", {"layer": "missions", "id": mission.pk}).status_code == 404
    mission.team.members.add(agent)
    assert client.get("/map/feature/", {"layer": "missions", "id": mission.pk}).status_code == 200
