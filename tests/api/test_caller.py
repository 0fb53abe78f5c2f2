"""The caller (token → user → membership) is resolved once per request, and resolved right."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Membership, Role
from accounts.services import api_token_create
from tests.factories import InterventionFactory, member

pytestmark = pytest.mark.django_db


def token_client(user, **headers) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}", **headers)
    return client


def caller_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "accounts_apitoken" in q["sql"] or "accounts_membership" in q["sql"]]


def test_a_token_request_looks_the_caller_up_once(community):
    InterventionFactory(community=community)
    client = token_client(member(community, Role.VIEWER))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/interventions/")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert len(caller_queries(queries.captured_queries)) == 1


def test_a_tile_cache_hit_costs_two_queries(community):
    client = token_client(member(community, Role.DISPATCHER))
    url = "/tiles/zones/14/8200/5800.mvt"
    client.get(url)  # fills the cache (an empty tile is cached too)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response["X-Tile-Cache"] == "hit"
    assert len(queries.captured_queries) == 2  # the caller, the cached tile


def test_a_member_of_two_communities_picks_one_by_slug(community, other_community):
    user = member(community, Role.VIEWER)
    Membership.objects.create(user=user, community=other_community, role=Role.DISPATCHER)
    InterventionFactory(community=other_community)
    client = token_client(user)
    assert client.get("/api/v1/interventions/").json()["count"] == 0  # the oldest membership
    mine = client.get(f"/api/v1/interventions/?community={other_community.slug}")
    assert mine.json()["count"] == 1
    header = token_client(user, HTTP_X_RONDE_COMMUNITY=other_community.slug)
    assert header.get("/api/v1/interventions/").json()["count"] == 1


def test_a_token_of_a_deactivated_user_is_refused(community):
    user = member(community, Role.DISPATCHER)
    client = token_client(user)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/interventions/").status_code == 401
    assert client.get("/tiles/zones/14/8200/5800.mvt").status_code == 401


def test_a_token_of_a_non_member_is_forbidden_not_unauthenticated(community, other_community):
    user = member(other_community, Role.DISPATCHER)
    client = token_client(user)
    response = client.get(f"/api/v1/interventions/?community={community.slug}")
    assert response.status_code == 403
    assert client.get(f"/tiles/zones/14/8200/5800.mvt?community={community.slug}").status_code == 403


def test_a_role_change_applies_to_the_next_request(community):
    user = member(community, Role.DISPATCHER)
    client = token_client(user)
    assert client.post("/api/v1/teams/", {"name": "Nord"}, format="json").status_code == 201
    Membership.objects.filter(user=user).update(role=Role.VIEWER)
    assert client.post("/api/v1/teams/", {"name": "Sud"}, format="json").status_code == 403
