"""Inputs schemathesis found answering a 500: each is now a 400 naming the field, or a 200."""

import datetime as dt

import pytest

from accounts.models import Role
from interventions.services.missions import mission_create
from tests.factories import POITIERS, CategoryFactory, TeamFactory, square

pytestmark = pytest.mark.django_db
# A position no CRS can hold: PROJ failed on it (GDALException, a 500) before the range check.
FAR_OUT = {"type": "Point", "coordinates": [2.7e184, 6.5e16]}


@pytest.fixture
def dispatcher(community, api_as):
    return api_as(community, Role.DISPATCHER)


@pytest.fixture
def mission(community):
    mission, _conflicts = mission_create(
        community=community,
        zone=square(*POITIERS, 300),  # Poitiers centre, Lambert-93, 600 m square
        date=dt.date(2025, 6, 2),
        team=TeamFactory(community=community),
    )
    return mission


def assert_400(response, field: str, word: str) -> None:
    assert response.status_code == 400, response.content
    assert word in " ".join(response.json()[field]).lower(), response.json()


@pytest.mark.parametrize("field", ["start_point", "end_point"])
def test_mission_point_out_of_range_is_a_400(dispatcher, mission, field):
    response = dispatcher.patch(f"/api/v1/missions/{mission.pk}/", {field: FAR_OUT}, format="json")
    assert_400(response, field, "out of range")
    mission.refresh_from_db()
    assert getattr(mission, field) is None


def test_mission_zone_out_of_range_is_a_400(dispatcher, community):
    team = TeamFactory(community=community)
    zone = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1e20], [1e20, 1e20], [0, 0]]]}
    response = dispatcher.post(
        "/api/v1/missions/", {"zone": zone, "date": "2025-06-02", "team": team.pk}, format="json"
    )
    assert_400(response, "zone", "out of range")


def test_optimize_position_out_of_range_is_a_400(dispatcher, mission):
    response = dispatcher.post(
        f"/api/v1/missions/{mission.pk}/optimize/", {"position": FAR_OUT}, format="json"
    )
    assert_400(response, "position", "out of range")


def test_category_filter_with_a_nul_byte_is_a_400(dispatcher, community):
    CategoryFactory(community=community, code="tag")
    response = dispatcher.get("/api/v1/reports/", {"category": "tag\x00("})
    assert_400(response, "category", "unknown category")
    assert dispatcher.get("/api/v1/assets/", {"category": "\x00"}).status_code == 400


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/reports/", {}),
        ("/api/v1/interventions/", {}),
        ("/api/v1/interventions/", {"date_field": "ended_at"}),
    ],
)
def test_date_to_the_last_day_of_the_calendar_is_no_bound(dispatcher, url, params):
    """The day after 9999-12-31 does not exist (an OverflowError, a 500, before)."""
    response = dispatcher.get(url, {"date_to": "9999-12-31", **params})
    assert response.status_code == 200, response.content


def test_a_form_body_with_too_many_fields_is_a_json_400(community, api_as):
    """Found by schemathesis: Django's own HTML 400 page answered a JSON API. The API takes
    JSON bodies only now: a form body is a JSON 415; the login form of the token endpoint
    still parses forms, and too many fields there is a JSON 400."""
    from tests.factories import MissionFactory

    mission = MissionFactory(community=community)
    body = "&".join(f"remove={i}" for i in range(1500))
    response = api_as(community, Role.DISPATCHER).post(
        f"/api/v1/missions/{mission.pk}/stops/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    login = api_as(community, Role.DISPATCHER).post(
        "/api/v1/auth/token/", body, content_type="application/x-www-form-urlencoded"
    )
    assert login.status_code == 400
    assert login["Content-Type"] == "application/json"
    assert "fields" in login.json()["detail"]


def test_a_date_in_year_289_is_a_400_naming_the_field(community, api_as):
    """Found by schemathesis: it came back with a local-mean-time offset, not valid ISO 8601."""
    from tests.factories import ReportFactory

    report = ReportFactory(community=community)
    response = api_as(community, Role.DISPATCHER).patch(
        f"/api/v1/reports/{report.pk}/", {"reported_at": "0289-08-31T02:05:24Z"}, format="json"
    )
    assert response.status_code == 400
    assert "reported_at" in response.json()


def test_a_mission_point_with_a_height_is_a_400(dispatcher, mission):
    """Found by schemathesis: a 3D point reached PostGIS (500: the column is 2D)."""
    response = dispatcher.patch(
        f"/api/v1/missions/{mission.pk}/",
        {"start_point": {"type": "Point", "coordinates": [0.34, 46.58, 120.0]}},
        format="json",
    )
    assert_400(response, "start_point", "2d")
