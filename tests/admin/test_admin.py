"""The Django admin: every model registered, pages load, maps use only local files, scoping."""

import re

import pytest
from django.contrib import admin
from django.contrib.gis.geos import MultiPolygon
from django.urls import reverse

from accounts.models import Community, Membership, Role, Team, User
from geo.models import Asset, AssetCategory, StreetSegment, Zone
from interventions.models import Category, Intervention, Mission, Photo, Report
from tests.factories import (
    POITIERS,
    AssetFactory,
    CategoryFactory,
    InterventionFactory,
    MissionFactory,
    ReportFactory,
    StreetSegmentFactory,
    TeamFactory,
    UserFactory,
    ZoneFactory,
    square,
)

pytestmark = pytest.mark.django_db
MODELS = [
    Community,
    User,
    Membership,
    Team,
    Zone,
    AssetCategory,
    Asset,
    StreetSegment,
    Category,
    Report,
    Intervention,
    Mission,
    Photo,
]


@pytest.fixture
def superuser_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_is_registered():
    for model in MODELS:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_add_pages_load(superuser_client, community, model):
    TeamFactory(community=community)
    assert superuser_client.get(url(model, "changelist")).status_code == 200
    assert superuser_client.get(url(model, "add")).status_code == 200


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", re.I)


def assert_no_external_origin(html: str) -> None:
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    # Nor tiles or libraries named inside inline scripts (OSM, NASA, CDNs).
    scripts = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S))
    assert not re.search(r"https?://", scripts), re.search(r"https?://.{0,60}", scripts)
    assert "new ol.source.OSM" not in html and "ol.source.XYZ" not in html


@pytest.mark.parametrize(
    "model,factory",
    [
        (Zone, ZoneFactory),
        (Asset, AssetFactory),
        (StreetSegment, StreetSegmentFactory),
        (Report, ReportFactory),
        (Intervention, InterventionFactory),
        (Mission, MissionFactory),
        (Team, TeamFactory),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_map_change_pages_use_local_openlayers_only(superuser_client, community, model, factory):
    obj = factory(community=community)
    response = superuser_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/ol/ol.js" in html and "/static/vendor/ol/ol.css" in html
    assert "gis/js/OLMapWidget.js" in html
    assert_no_external_origin(html)
    # The territory outline is the base layer (no tiles needed).
    assert "readFeatures(" in html


def test_community_change_page_is_local_too(superuser_client, community):
    response = superuser_client.get(url(Community, "change", community.pk))
    assert response.status_code == 200
    assert_no_external_origin(response.content.decode())


def test_local_openlayers_is_served(superuser_client):
    assert superuser_client.get("/static/vendor/ol/ol.js").status_code == 200


def test_admin_saves_a_zone_drawn_on_the_map(superuser_client, community):
    # The widget posts GeoJSON in the map's CRS (EPSG:3857).
    geom = MultiPolygon(square(*POITIERS, 100), srid=2154).transform(3857, clone=True)
    response = superuser_client.post(
        url(Zone, "add"),
        {
            "community": community.pk,
            "name": "Tracée",
            "kind": "district",
            "geom": geom.json,
            "attributes": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    zone = Zone.objects.get(name="Tracée")
    assert zone.geom.srid == 2154
    assert zone.geom.area == pytest.approx(40_000, rel=1e-3)


def test_community_admin_sees_only_their_community(client, community, other_community):
    staff = UserFactory(is_staff=True)
    Membership.objects.create(user=staff, community=community, role=Role.ADMIN)
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["geo", "interventions"])
    )
    mine = ZoneFactory(community=community, name="Chez nous")
    theirs = ZoneFactory(community=other_community, name="Chez eux")
    client.force_login(staff)
    page = client.get(url(Zone, "changelist")).content.decode()
    assert "Chez nous" in page and "Chez eux" not in page
    assert client.get(url(Zone, "change", mine.pk)).status_code == 200
    assert client.get(url(Zone, "change", theirs.pk)).status_code == 302  # "does not exist" redirect
    # Foreign-key choices are limited to their community.
    form = client.get(url(Intervention, "add")).content.decode()
    own_category = CategoryFactory(community=community, name="Tag ici")
    CategoryFactory(community=other_community, name="Tag ailleurs")
    form = client.get(url(Intervention, "add")).content.decode()
    assert "Tag ici" in form and "Tag ailleurs" not in form
    assert own_category.pk
