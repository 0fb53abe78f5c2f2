"""Every report, intervention and site carries a human address, filled by PostgreSQL on write
(geo_fill_address) and refreshed after an address import."""

import pytest
from django.contrib.gis.geos import LineString, Point

from geo.services.addresses import address_import
from interventions.models import Intervention, Report
from interventions.services.reports import report_create
from tests.factories import (
    POITIERS,
    AddressFactory,
    AssetFactory,
    CategoryFactory,
    CommunityFactory,
    InterventionFactory,
    ReportFactory,
    StreetSegmentFactory,
)
from tests.geo.test_import_addresses import BAN_54, lonlat_box
from tests.real_data import real_file

pytestmark = pytest.mark.django_db
X, Y = POITIERS  # Lambert-93 metres


def near(dx, dy):
    return Point(X + dx, Y + dy, srid=2154)


@pytest.fixture
def street(community):
    """Rue de la Cathédrale, 200 m west-east through the centre, numbers 1 and 9 on it."""
    StreetSegmentFactory(community=community, geom=LineString((X - 100, Y), (X + 100, Y), srid=2154))
    for number, dx in ((1, -80), (9, 0)):
        AddressFactory(community=community, number=number, geom=near(dx, 8))


def test_a_new_report_gets_the_nearest_address_within_30_m(community, street):
    report = report_create(
        community=community, category=CategoryFactory(community=community), geom=near(5, 0)
    )
    assert report.address == "9 Rue de la Cathédrale"  # returned by the INSERT, no reload
    assert Report.objects.get(pk=report.pk).address == "9 Rue de la Cathédrale"


def test_a_written_address_is_kept(community, street):
    report = ReportFactory(community=community, geom=near(5, 0), address="Devant l'école Jules Ferry")
    assert report.address == "Devant l'école Jules Ferry"


def test_beyond_30_m_the_street_with_its_nearest_number(community, street):
    intervention = InterventionFactory(community=community, geom=near(60, -20))
    assert intervention.address == "près du 9 Rue de la Cathédrale"


def test_a_street_without_numbers_nearby_and_nothing_at_all(community):
    StreetSegmentFactory(community=community, name="Allée des Tilleuls")
    assert (
        InterventionFactory(community=community, geom=near(50, 10)).address
        == "Allée des Tilleuls (à proximité)"
    )
    assert InterventionFactory(community=community, geom=near(2000, 2000)).address == ""


def test_addresses_of_another_community_are_never_used(community, other_community, street):
    assert InterventionFactory(community=other_community, geom=near(5, 0)).address == ""


def test_a_site_line_or_polygon_gets_an_address_and_moving_recomputes_it(community, street):
    wall = AssetFactory(community=community, geom=LineString((X - 85, Y + 5), (X - 75, Y + 5), srid=2154))
    assert wall.address == "1 Rue de la Cathédrale"
    intervention = InterventionFactory(community=community, geom=near(5, 0))
    intervention.geom = near(-78, 3)
    intervention.save()
    intervention.refresh_from_db()
    assert intervention.address == "1 Rue de la Cathédrale"


def test_import_updates_computed_addresses_but_not_written_ones():
    landres = CommunityFactory(slug="landres", territory=lonlat_box(5.77, 49.30, 5.86, 49.34))
    # 5 m from "2 bis rue baron d'huart" (Lambert-93 905872, 6918044.5), before any address exists.
    spot = Point(905875, 6918040, srid=2154)
    before = InterventionFactory(community=landres, geom=spot)
    typed = ReportFactory(community=landres, geom=spot, address="Sous le pont")
    assert before.address == ""
    report = address_import(community=landres, path=real_file(BAN_54))
    assert report.updated and report.updated["interventions_intervention"] == 1
    assert Intervention.objects.get(pk=before.pk).address == "2 bis rue baron d'huart"
    assert Report.objects.get(pk=typed.pk).address == "Sous le pont"


def test_api_geojson_and_mission_stop_show_the_address(community, street, api_as):
    from interventions.models import MissionStop
    from tests.factories import MissionFactory

    intervention = InterventionFactory(community=community, geom=near(5, 0))
    body = api_as(community).get(f"/api/v1/interventions/{intervention.pk}/").json()
    assert body["properties"]["address"] == "9 Rue de la Cathédrale"
    listed = api_as(community).get("/api/v1/interventions/").json()
    assert [f["properties"]["address"] for f in listed["features"]] == ["9 Rue de la Cathédrale"]
    report = ReportFactory(community=community, geom=near(-80, 0))
    mission = MissionFactory(community=community)
    stops = [
        MissionStop.objects.create(mission=mission, intervention=intervention, sequence=1),
        MissionStop.objects.create(mission=mission, report=report, sequence=2),
    ]
    assert [s.address for s in stops] == ["9 Rue de la Cathédrale", "1 Rue de la Cathédrale"]
    sheet = api_as(community).get(f"/api/v1/missions/{mission.pk}/").json()
    assert "9 Rue de la Cathédrale" in str(sheet)
    # The printed mission sheet, as a dispatcher opens it.
    from django.test import Client

    from tests.factories import member

    browser = Client()
    browser.force_login(member(community))
    page = browser.get(f"/dispatch/missions/{mission.pk}/sheet/").content.decode()
    assert "9 Rue de la Cathédrale" in page and "1 Rue de la Cathédrale" in page
