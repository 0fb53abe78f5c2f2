"""schemathesis against our own OpenAPI schema (the one /api/schema/ serves), CI-sized.

Every documented operation is called with a few generated requests (valid and invalid
bodies, odd path ids, odd query strings) as a dispatcher of a test community, through
the WSGI app in-process. The answers must never be a 5xx; under /api/v1/ (the REST
contract clients rely on: the resources test_the_schema_covers_the_rest_api lists),
/dispatch/api/, /agent/api/ and /health/ each answer must also have a documented status code,
content type and body schema (dispatch/schema.py, agent/schema.py, config/openapi.py). Tiles
and the export download (files) are held to "no 5xx".

Generated ids almost never name a real object, so the test community gets one of each
resource (a mission with a report and an intervention as stops, all with an audit trail)
and every other request to `…/{id}/…` uses the real id: the answers about a real mission,
its history or a report's history are checked against their schemas too, not only 404s.

A bigger run (more examples, stateful links) is `python -m benchmarks schemathesis_run`.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from django.contrib.gis.geos import Point
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role, Team
from geo.models import Asset, Zone
from interventions.models import Category
from interventions.services.interventions import intervention_create
from interventions.services.missions import mission_create
from interventions.services.reports import report_create
from tests.factories import (
    POITIERS,
    AssetFactory,
    CategoryFactory,
    TeamFactory,
    ZoneFactory,
    member,
    square,
)

# The same document as GET /api/schema/ (SERVE_PUBLIC), built without a request so that
# collecting this module needs no database.
# The CI run: explicit examples and `EXAMPLES` generated requests per operation; the
# coverage phase (hundreds of boundary values per operation) is left to the benchmark.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
)
schema.app = get_wsgi_application()

CONTRACT_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance]  # fmt: skip
# The documented JSON APIs; tiles and exports (files) only must never fail.
CONTRACT_PREFIXES = ("/api/v1/", "/dispatch/api/", "/agent/api/", "/health/")
EXAMPLES = 20  # per operation: ~60 operations in about a minute and a half


@pytest.fixture
def dispatcher_token(community, api_as) -> Iterator[str]:
    """`Token <key>` of a dispatcher of the test community, for in-process WSGI calls.

    Django closes the connection at the end of every request unless the test client's
    handler is used; schemathesis calls the plain WSGI app, and a closed connection would
    end the test transaction. The same two signals Django's test client silences.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        client = api_as(community, Role.DISPATCHER)
        yield client._credentials["HTTP_AUTHORIZATION"]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(community) -> dict[str, Any]:
    """One object of each resource in the test community, by the path segment naming it."""
    dispatcher = member(community, Role.DISPATCHER)
    category = cast(Category, CategoryFactory(community=community))
    # A report and an intervention 50 m apart near Poitiers centre (Lambert-93, metres),
    # both inside the mission's zone, so the mission gets two stops.
    report = report_create(
        community=community, category=category, geom=Point(*POITIERS, srid=2154), reporter=dispatcher
    )
    intervention = intervention_create(
        community=community, category=category, geom=Point(POITIERS[0] + 50, POITIERS[1], srid=2154)
    )
    team = cast(Team, TeamFactory(community=community))
    mission, _conflicts = mission_create(
        community=community,
        zone=square(*POITIERS, 300),
        date=dt.date.today(),
        team=team,
        created_by=dispatcher,
    )
    assert mission.stops.count() == 2
    asset = cast(Asset, AssetFactory(community=community))
    return {
        "missions": mission.pk,
        "reports": report.pk,
        "interventions": intervention.pk,
        "teams": team.pk,
        "categories": category.pk,
        "assets": asset.pk,
        "asset-categories": asset.category_id,
        "zones": cast(Zone, ZoneFactory(community=community)).pk,
        "calls": 0,
    }


def _resource(path: str) -> str:
    """`/api/v1/missions/{id}/stops/` -> "missions": the segment before `{id}`."""
    segments = path.strip("/").split("/")
    return segments[segments.index("{id}") - 1] if "{id}" in segments else ""


@schema.parametrize()
# Derandomized: the same cases on every CI run (the bigger, random run is in `make bench`).
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_operation(case, dispatcher_token, real_ids):
    resource = _resource(case.operation.path)
    if resource in real_ids:
        real_ids["calls"] += 1
        if real_ids["calls"] % 2:
            case.path_parameters["id"] = real_ids[resource]
    checks = CONTRACT_CHECKS if case.operation.path.startswith(CONTRACT_PREFIXES) else [not_a_server_error]
    case.call_and_validate(headers={"Authorization": dispatcher_token}, checks=checks)


READS_OF_A_REAL_OBJECT = [
    ("GET", "/api/v1/missions/"),
    ("GET", "/api/v1/missions/{id}/"),
    ("PATCH", "/api/v1/missions/{id}/"),
    ("POST", "/api/v1/missions/{id}/stops/"),
    ("GET", "/api/v1/missions/{id}/history/"),
    ("GET", "/api/v1/reports/{id}/history/"),
    ("GET", "/api/v1/interventions/{id}/history/"),
]


@pytest.mark.parametrize(("method", "path"), READS_OF_A_REAL_OBJECT)
def test_real_mission_and_history_answers_match_their_schema(method, path, dispatcher_token, real_ids):
    """Not left to chance: each of these answers, about objects that exist and have an
    audit trail, is a 200 whose body matches its documented schema (the bigger run found
    missions documented as their request body and histories as GeoJSON pages)."""
    resource = _resource(path)
    body = {"notes": "Rue de la Cathédrale first"} if method == "PATCH" else {}
    payload = {} if method == "GET" else {"body": body, "media_type": "application/json"}
    case = schema[path][method].Case(
        path_parameters={"id": real_ids[resource]} if resource else {}, **payload
    )
    response = case.call_and_validate(headers={"Authorization": dispatcher_token}, checks=CONTRACT_CHECKS)
    assert response.status_code == 200, response.text
    answer = response.json()
    if path.endswith("/history/"):
        assert answer["count"] >= 1 and answer["results"][0]["action"]
    elif path == "/api/v1/missions/":
        assert answer["features"][0]["properties"]["stop_count"] == 2
    else:
        assert len(answer["properties"]["stops"]) == 2


def test_the_schema_covers_the_rest_api():
    """The run above only means something if the schema lists the whole REST API (the resources below)."""
    paths = {op.path for op in schema.get_all_operations() if hasattr(op, "path")} or set(
        schema.raw_schema["paths"]
    )
    for resource in ["assets", "zones", "reports", "interventions", "missions", "teams"]:
        assert f"/api/v1/{resource}/" in paths
        assert f"/api/v1/{resource}/{{id}}/" in paths
    assert "/api/v1/auth/token/" in paths


def test_the_mission_schema_is_complete_and_has_no_warning():
    """drf-spectacular falls back to a guess (and warns) on a field it cannot type; the
    mission endpoints must need no guess, so their documented bodies are the real ones."""
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from interventions.api.missions import MissionViewSet

    router = DefaultRouter()
    router.register("missions", MissionViewSet, basename="mission")
    GENERATOR_STATS.reset()
    document = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(
        request=None, public=True
    )
    validate_schema(document)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, dict(
        GENERATOR_STATS._warn_cache
    )
    components = document["components"]["schemas"]
    stop = components["MissionStopOut"]["properties"]
    assert stop["geometry"]["allOf"] == [{"$ref": "#/components/schemas/GeoJSONPoint"}]
    assert components["MissionCreateRequest"]["properties"]["team"]["type"] == "integer"
