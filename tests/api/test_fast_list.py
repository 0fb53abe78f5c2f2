"""The fast list path gives exactly the JSON the DRF serializer gives for the same row."""

import datetime as dt
import gc
import json
import uuid

import orjson
import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from accounts.models import Role
from core.api.feature_rows import _PLANS
from geo.api.serializers import AssetSerializer, ZoneSerializer
from geo.selectors import assets_for_community, zones_for_community
from interventions.api.serializers import InterventionSerializer, ReportSerializer
from interventions.selectors import interventions_for_community, reports_for_community
from tests.factories import AssetFactory, InterventionFactory, ReportFactory, TeamFactory, ZoneFactory, member

pytestmark = pytest.mark.django_db


def serializer_json(serializer_class, instance, community):
    request = APIRequestFactory().get("/")
    data = serializer_class(instance, context={"request": request, "community": community}).data
    return json.loads(JSONRenderer().render(data))


def fast_json(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)["features"]


def test_intervention_fast_list_equals_serializer(community, api_as):
    team = TeamFactory(community=community)
    agents = [member(community, Role.AGENT), member(community, Role.AGENT)]
    report = ReportFactory(community=community)
    full = InterventionFactory(
        community=community,
        status="done",
        report=report,
        team=team,
        support="shutter",
        surface_m2="12.50",
        method="hydro",
        product="Décapant gel",
        offensive=True,
        priority=1,
        notes="Rideau métallique, « tag » noir",
        planned_date=dt.date(2025, 3, 4),
        started_at=dt.datetime(2025, 3, 4, 8, 15, 30, 123456, tzinfo=dt.UTC),
        ended_at=dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC),
        external_id="SIG-42",
        client_uuid=uuid.uuid4(),
    )
    full.agents.set(reversed(agents))
    # Summer time (+02:00), and a timestamp to the microsecond exactly on the second.
    empty = InterventionFactory(
        community=community, started_at=dt.datetime(2025, 7, 14, 22, 30, tzinfo=dt.UTC)
    )
    features = fast_json(api_as(community, Role.VIEWER), "/api/v1/interventions/")
    by_id = {f["id"]: f for f in features}
    for obj in (full, empty):
        instance = interventions_for_community(community=community).get(pk=obj.pk)
        assert by_id[obj.pk] == serializer_json(InterventionSerializer, instance, community)
    assert by_id[full.pk]["properties"]["agents"] == sorted(a.pk for a in agents)
    assert by_id[full.pk]["properties"]["started_at"].startswith("2025-03-04T09:15:30.123456+01:00")
    assert by_id[full.pk]["properties"]["ended_at"] == "2025-03-04T10:00:00+01:00"
    assert by_id[empty.pk]["properties"]["started_at"] == "2025-07-15T00:30:00+02:00"
    assert by_id[full.pk]["properties"]["surface_m2"] == "12.50"
    # Same keys in the same order, not only equal dicts.
    instance = interventions_for_community(community=community).get(pk=full.pk)
    assert list(by_id[full.pk]["properties"]) == list(
        serializer_json(InterventionSerializer, instance, community)["properties"]
    )


@pytest.mark.parametrize(
    "url,factory,serializer,selector",
    [
        ("/api/v1/reports/", ReportFactory, ReportSerializer, reports_for_community),
        ("/api/v1/assets/", AssetFactory, AssetSerializer, assets_for_community),
        ("/api/v1/zones/", ZoneFactory, ZoneSerializer, zones_for_community),
    ],
)
def test_other_fast_lists_equal_serializer(community, api_as, url, factory, serializer, selector):
    obj = factory(community=community)
    (feature,) = fast_json(api_as(community, Role.VIEWER), url)
    instance = selector(community=community).get(pk=obj.pk)
    assert feature == serializer_json(serializer, instance, community)


def test_list_query_count_does_not_grow_with_rows(community, api_as, django_assert_max_num_queries):
    team = TeamFactory(community=community)
    agent = member(community, Role.AGENT)
    for _ in range(30):
        InterventionFactory(community=community, team=team).agents.add(agent)
    client = api_as(community, Role.VIEWER)
    # caller (token + membership) + the page with its agents' ids: a first page that is not
    # full is its own count, so no COUNT query.
    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/interventions/?page_size=1000")
    assert response.json()["count"] == 30
    # A full page still needs the COUNT, and says there is more.
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/interventions/?page_size=20")
    body = response.json()
    assert (body["count"], len(body["features"]), body["next"] is not None) == (30, 20, True)
    second = client.get("/api/v1/interventions/?page_size=20&page=2").json()
    assert (second["count"], len(second["features"])) == (30, 10)
    assert not {f["id"] for f in second["features"]} & {f["id"] for f in body["features"]}


def test_the_column_plan_is_shared_by_requests_and_holds_none_of_them(community, other_community, api_as):
    """The plan of a serializer class is built once; its formatters are not bound to the
    first request's serializer (which would keep that request, and its community, alive)."""
    InterventionFactory(community=community, surface_m2="3.10", planned_date=dt.date(2025, 1, 2))
    InterventionFactory(community=other_community, surface_m2="7.25")
    first = fast_json(api_as(community, Role.VIEWER), "/api/v1/interventions/")
    plan = _PLANS[InterventionSerializer]
    second = fast_json(api_as(other_community, Role.VIEWER), "/api/v1/interventions/")
    assert _PLANS[InterventionSerializer] is plan
    assert [f["properties"]["surface_m2"] for f in first + second] == ["3.10", "7.25"]
    for _name, _key, convert in plan.columns:
        field = getattr(convert, "__self__", None)
        assert field is None or field.parent is None


def test_browsable_api_still_renders_the_list(community, api_as):
    """The orjson path is for JSON only; the HTML renderer gets the ordinary data."""
    InterventionFactory(community=community)
    response = api_as(community, Role.VIEWER).get("/api/v1/interventions/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"FeatureCollection" in response.content


def test_a_served_page_is_freed_without_the_cyclic_gc(community, api_as):
    """The page's feature dicts must go when the request ends, not wait for a full GC pass.

    Kept alive by the view <-> request cycle, 1,000 features made every gen-2 collection walk
    them (~120 ms pauses: the p95 of `make bench` api). Objects the cyclic GC has to free are
    kept in gc.garbage under DEBUG_SAVEALL, so a page left behind shows up there.
    """
    for _ in range(5):
        InterventionFactory(community=community)
    client = api_as(community, Role.VIEWER)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        response = client.get("/api/v1/interventions/")
        gc.collect()
        # The server's features, not the test's parsed JSON: their geometry is PostGIS's text.
        features = [
            o for o in gc.garbage if isinstance(o, dict) and isinstance(o.get("geometry"), orjson.Fragment)
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert len(json.loads(response.content)["features"]) == 5
    assert features == []


def test_the_wsgi_application_freezes_its_start_up_objects():
    import config.wsgi  # noqa: F401 — importing it is what gunicorn does

    assert gc.get_freeze_count() > 10_000
