"""Token endpoint, session auth, pagination limits, OpenAPI generation."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role, token_digest
from tests.factories import PASSWORD, InterventionFactory, member

pytestmark = pytest.mark.django_db


def test_token_then_authorization_header(community):
    user = member(community, Role.VIEWER, username="agnes")
    InterventionFactory(community=community)
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "agnes", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert user.api_tokens.get().key_hash == token_digest(token)  # only its digest is stored
    assert client.get("/api/v1/interventions/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/interventions/").json()["count"] == 1


def test_token_bad_password(community):
    member(community, Role.VIEWER, username="agnes")
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "agnes", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token deadbeef")
    assert client.get("/api/v1/reports/").status_code == 401


def test_session_auth(community, client):
    member(community, Role.VIEWER, username="bruno")
    assert client.login(username="bruno", password=PASSWORD)
    response = client.get("/api/v1/interventions/")
    assert response.status_code == 200
    assert response.json()["type"] == "FeatureCollection"


def test_pagination(community, api_as):
    for _ in range(7):
        InterventionFactory(community=community)
    client = api_as(community, Role.VIEWER)
    first = client.get("/api/v1/interventions/", {"page_size": 3}).json()
    assert first["count"] == 7 and len(first["features"]) == 3
    assert "page=2" in first["next"] and first["previous"] is None
    last = client.get("/api/v1/interventions/", {"page_size": 3, "page": 3}).json()
    assert len(last["features"]) == 1 and last["next"] is None
    seen = {
        f["id"]
        for p in (1, 2, 3)
        for f in client.get("/api/v1/interventions/", {"page_size": 3, "page": p}).json()["features"]
    }
    assert len(seen) == 7
    assert client.get("/api/v1/interventions/", {"page": 9}).status_code == 404


def test_page_size_is_capped_at_5000(community, api_as):
    InterventionFactory(community=community)
    from core.api.pagination import GeoPagination

    assert GeoPagination.max_page_size == 5000
    response = api_as(community, Role.VIEWER).get("/api/v1/interventions/", {"page_size": 100_000})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_openapi_schema_of_these_endpoints_has_no_warning():
    """Our endpoints alone (other apps' views are checked by their own tests)."""
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from accounts.api import TeamViewSet, TokenView
    from geo.api.views import AssetCategoryViewSet, AssetViewSet, ZoneViewSet
    from interventions.api.views import CategoryViewSet, InterventionViewSet, ReportViewSet

    router = DefaultRouter()
    for prefix, viewset in [
        ("assets", AssetViewSet),
        ("asset-categories", AssetCategoryViewSet),
        ("zones", ZoneViewSet),
        ("reports", ReportViewSet),
        ("interventions", InterventionViewSet),
        ("categories", CategoryViewSet),
        ("teams", TeamViewSet),
    ]:
        router.register(prefix, viewset, basename=prefix)
    patterns = [
        path("api/v1/", include([path("auth/token/", TokenView.as_view()), path("", include(router.urls))]))
    ]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, dict(
        GENERATOR_STATS._warn_cache
    )
    paths = schema["paths"]
    assert {"/api/v1/interventions/", "/api/v1/reports/{id}/", "/api/v1/auth/token/"} <= set(paths)
    names = {p["name"] for p in paths["/api/v1/interventions/"]["get"]["parameters"]}
    assert {
        "bbox",
        "category",
        "status",
        "date_from",
        "date_to",
        "date_field",
        "zone",
        "page",
        "page_size",
    } <= names


def test_schema_and_docs_urls(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content and b"unpkg" not in docs.content


def test_schema_documents_the_web_servers_414(client):
    """A too-long URL is refused by gunicorn itself (found by schemathesis): documented, as HTML."""
    schema = client.get("/api/schema/?format=json").json()
    for operation in (
        schema["paths"]["/api/v1/categories/"]["get"],
        schema["paths"]["/api/v1/reports/"]["post"],
    ):
        assert "text/html" in operation["responses"]["414"]["content"]
