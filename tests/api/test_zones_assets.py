"""/api/v1/zones/ and /api/v1/assets/: everyone reads, only admins write."""

import pytest

from accounts.models import Role
from geo.models import Asset, Zone
from tests.api.helpers import feature, point, square_4326
from tests.factories import POITIERS, AssetCategoryFactory, AssetFactory, ZoneFactory

pytestmark = pytest.mark.django_db
WRITERS = [(Role.ADMIN, True), (Role.DISPATCHER, False), (Role.AGENT, False), (Role.VIEWER, False)]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER])
def test_everyone_reads(community, api_as, role):
    zone = ZoneFactory(community=community)
    asset = AssetFactory(community=community)
    client = api_as(community, role)
    assert client.get(f"/api/v1/zones/{zone.pk}/").json()["geometry"]["type"] == "MultiPolygon"
    assert client.get("/api/v1/assets/").json()["features"][0]["id"] == asset.pk


@pytest.mark.parametrize("role,allowed", WRITERS)
def test_zone_create_update_delete(community, api_as, role, allowed):
    client = api_as(community, role)
    response = client.post(
        "/api/v1/zones/", feature(square_4326(*POITIERS, 200), name="Centre-ville"), format="json"
    )
    assert response.status_code == (201 if allowed else 403), response.content
    if allowed:
        zone = Zone.objects.get(pk=response.json()["id"])
        # A Polygon is stored as a one-part MultiPolygon, about 400 m × 400 m.
        assert zone.geom.geom_type == "MultiPolygon"
        assert zone.geom.area == pytest.approx(160_000, rel=1e-3)
        assert response.json()["geometry"]["type"] == "MultiPolygon"
    zone = ZoneFactory(community=community, name="Avant")
    response = client.patch(f"/api/v1/zones/{zone.pk}/", {"properties": {"name": "Après"}}, format="json")
    assert response.status_code == (200 if allowed else 403)
    zone.refresh_from_db()
    assert zone.name == ("Après" if allowed else "Avant")
    assert client.delete(f"/api/v1/zones/{zone.pk}/").status_code == (204 if allowed else 403)


@pytest.mark.parametrize("role,allowed", WRITERS)
def test_asset_create_update_delete(community, api_as, role, allowed):
    category = AssetCategoryFactory(community=community)
    client = api_as(community, role)
    body = feature(
        point(),
        category=category.pk,
        name="Mur de l'école",
        support="wall",
        attributes={"matériau": "pierre"},
    )
    response = client.post("/api/v1/assets/", body, format="json")
    assert response.status_code == (201 if allowed else 403), response.content
    if allowed:
        props = response.json()["properties"]
        assert props["category_code"] == category.code
        assert props["attributes"] == {"matériau": "pierre"}
    asset = AssetFactory(community=community)
    line = {
        "type": "LineString",
        "coordinates": [point()["coordinates"], point(POITIERS[0] + 30, POITIERS[1])["coordinates"]],
    }
    response = client.patch(f"/api/v1/assets/{asset.pk}/", feature(line), format="json")
    assert response.status_code == (200 if allowed else 403), response.content
    asset.refresh_from_db()
    assert asset.geom.geom_type == ("LineString" if allowed else "Point")
    assert client.delete(f"/api/v1/assets/{asset.pk}/").status_code == (204 if allowed else 403)
    assert Asset.objects.filter(pk=asset.pk).exists() != allowed


def test_asset_unknown_category(community, other_community, api_as):
    foreign = AssetCategoryFactory(community=other_community)
    response = api_as(community, Role.ADMIN).post(
        "/api/v1/assets/", feature(point(), category=foreign.pk), format="json"
    )
    assert response.status_code == 400
    assert "unknown asset category" in str(response.json()["category"])


def test_an_inactive_category_keeps_its_assets_but_takes_no_new_one(community, api_as):
    category = AssetCategoryFactory(community=community, code="banc-ancien", active=False)
    kept = AssetFactory(community=community, category=category)
    client = api_as(community, Role.ADMIN)
    response = client.post("/api/v1/assets/", feature(point(), category=category.pk), format="json")
    assert response.status_code == 400
    assert (
        "banc-ancien" in str(response.json()["category"]) and not Asset.objects.exclude(pk=kept.pk).exists()
    )
    # An asset already in it can still be edited; one cannot be moved into it.
    response = client.patch(
        f"/api/v1/assets/{kept.pk}/", {"properties": {"name": "Banc du lavoir"}}, format="json"
    )
    assert response.status_code == 200, response.content
    other = AssetFactory(community=community)
    response = client.patch(
        f"/api/v1/assets/{other.pk}/", {"properties": {"category": category.pk}}, format="json"
    )
    assert response.status_code == 400 and "category" in response.json()
    listed = {c["code"]: c["active"] for c in client.get("/api/v1/asset-categories/").json()["results"]}
    assert listed["banc-ancien"] is False
