"""Nobody reads or writes another community's rows, whatever their role."""

import pytest

from accounts.models import Role
from accounts.services import api_token_create
from geo.models import Asset, Zone
from interventions.models import Intervention, Report
from tests.api.helpers import feature, point, square_4326
from tests.factories import (
    POITIERS,
    AssetFactory,
    CategoryFactory,
    InterventionFactory,
    ReportFactory,
    TeamFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db

MAKERS = {
    "zones": ZoneFactory,
    "assets": AssetFactory,
    "reports": ReportFactory,
    "interventions": InterventionFactory,
    "teams": TeamFactory,
}


@pytest.mark.parametrize("resource", list(MAKERS))
def test_list_shows_only_own_community(community, other_community, api_as, resource):
    mine = MAKERS[resource](community=community)
    MAKERS[resource](community=other_community)
    body = api_as(community, Role.ADMIN).get(f"/api/v1/{resource}/").json()
    rows = body.get("features", body.get("results"))
    assert [r["id"] for r in rows] == [mine.pk]
    assert body["count"] == 1


@pytest.mark.parametrize("resource", list(MAKERS))
def test_foreign_detail_update_delete_are_404(community, other_community, api_as, resource):
    theirs = MAKERS[resource](community=other_community)
    client = api_as(community, Role.ADMIN)
    url = f"/api/v1/{resource}/{theirs.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"properties": {"name": "x"}}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert type(theirs).objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("resource", ["categories", "asset-categories"])
def test_categories_are_scoped(community, other_community, api_as, resource):
    from tests.factories import AssetCategoryFactory

    maker = CategoryFactory if resource == "categories" else AssetCategoryFactory
    mine = maker(community=community)
    theirs = maker(community=other_community)
    client = api_as(community, Role.VIEWER)
    body = client.get(f"/api/v1/{resource}/").json()
    assert [r["id"] for r in body["results"]] == [mine.pk]
    assert client.get(f"/api/v1/{resource}/{theirs.pk}/").status_code == 404


def test_writes_land_in_callers_community(community, other_community, api_as):
    """A member of two communities writes where ?community= says, and only there."""
    category = CategoryFactory(community=other_community)
    client = api_as(community, Role.VIEWER)
    from accounts.models import Membership

    Membership.objects.create(user=client.user, community=other_community, role=Role.DISPATCHER)
    response = client.post(
        "/api/v1/reports/?community=autre", feature(point(), category=category.pk), format="json"
    )
    assert response.status_code == 201, response.json()
    assert Report.objects.get().community == other_community
    # As a viewer in its own community, the same user cannot write there.
    own_category = CategoryFactory(community=community)
    response = client.post(
        "/api/v1/reports/?community=poitiers", feature(point(), category=own_category.pk), format="json"
    )
    assert response.status_code == 403


def test_non_member_community_is_403(community, other_community, api_as):
    response = api_as(community, Role.ADMIN).get("/api/v1/reports/?community=autre")
    assert response.status_code == 403


def test_user_without_membership_is_403(db):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    user = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    assert client.get("/api/v1/interventions/").status_code == 403


def test_admin_of_other_community_cannot_create_here(community, other_community, api_as):
    client = api_as(other_community, Role.ADMIN)
    response = client.post("/api/v1/zones/", feature(square_4326(*POITIERS, 100), name="Z"), format="json")
    assert response.status_code == 201
    assert Zone.objects.get().community == other_community
    assert not Asset.objects.exists() and not Intervention.objects.exists()
