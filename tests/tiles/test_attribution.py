"""ODbL: TileJSON and the style credit OpenStreetMap when the streets came from it (an
import of an .osm.pbf gives them the external id "osm:way/<id>"), and only then."""

import pytest
from django.contrib.gis.geos import LineString

from accounts.models import Role
from tests.factories import POITIERS, StreetSegmentFactory

pytestmark = pytest.mark.django_db
CREDIT = "© OpenStreetMap contributors"
X, Y = POITIERS  # Lambert-93, metres


def street(community, external_id: str):
    return StreetSegmentFactory(
        community=community, external_id=external_id, geom=LineString((X, Y), (X + 80, Y), srid=2154)
    )


def test_openstreetmap_streets_are_credited(api_as, community):
    street(community, "osm:way/4242")
    client = api_as(community, Role.VIEWER)
    for layer in ("streets", "basemap"):
        assert CREDIT in client.get(f"/tiles/{layer}.json").json()["attribution"]
    assert "attribution" not in client.get("/tiles/reports.json").json()  # no street in it
    sources = client.get("/tiles/style.json").json()["sources"]
    assert CREDIT in sources["basemap"]["attribution"] and CREDIT in sources["streets"]["attribution"]
    assert "openstreetmap.org/copyright" in sources["basemap"]["attribution"]
    assert "attribution" not in sources["reports"]


def test_streets_from_elsewhere_need_no_credit(api_as, community, other_community):
    street(community, "voirie.shp:12")
    street(other_community, "osm:way/1")  # another community's OSM streets change nothing here
    client = api_as(community, Role.VIEWER)
    assert "attribution" not in client.get("/tiles/basemap.json").json()
    assert all("attribution" not in s for s in client.get("/tiles/style.json").json()["sources"].values())
