"""Teams, categories, partner keys, districts, territory and the audit trail, as an
administrator uses them (real HTTP through Django's test client, real PostGIS)."""

import json
import re
import tempfile

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role, Team
from audit.models import AuditEvent
from geo.models import AssetCategory, Zone
from interventions.models import Category, PartnerApiKey
from interventions.models.partners import partner_key_hash
from tests.factories import (
    AssetFactory,
    CategoryFactory,
    ReportFactory,
    TeamFactory,
    ZoneFactory,
    member,
)

pytestmark = pytest.mark.django_db


def test_team_created_active_with_its_depot_typed_as_lon_lat(admin_client, community):
    agent = member(community, Role.AGENT, username="lucas")
    page = admin_client.get("/administration/teams/new/").content.decode()
    assert re.search(r'<input type="checkbox" name="active"[^>]*checked', page)  # active by default
    assert 'id="depot-map"' in page and 'id="id_depot_lon"' in page  # the map and its form alternative
    # 0.3403 E, 46.5803 N: Poitiers centre, inside the 10 km square territory.
    response = admin_client.post(
        "/administration/teams/new/",
        {
            "name": "Brigade Centre",
            "members": [agent.pk],
            "depot_lon": "0.3403",
            "depot_lat": "46.5803",
            "hourly_cost": "41,50",
            "active": "on",
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Brigade Centre")
    assert team.active and float(team.hourly_cost) == 41.5 and list(team.members.all()) == [agent]
    depot = team.depot.transform(4326, clone=True)
    assert abs(depot.x - 0.3403) < 1e-6 and abs(depot.y - 46.5803) < 1e-6
    assert team.depot.srid == 2154


def test_team_errors_are_on_their_fields(admin_client, community):
    TeamFactory(community=community, name="Brigade Nord")
    response = admin_client.post(
        "/administration/teams/new/",
        {"name": "Brigade Nord", "depot_lon": "2.35", "depot_lat": "48.85", "hourly_cost": "35"},
    )
    assert response.status_code == 400
    assert 'data-error-for="depot_lon"' in response.content.decode()  # Paris is outside
    response = admin_client.post(
        "/administration/teams/new/",
        {"name": "Brigade Pôle", "depot_lon": "0", "depot_lat": "-90", "hourly_cost": "35"},
    )
    assert response.status_code == 400  # not a 500: Lambert-93 cannot hold the pole
    assert re.search(r'data-error-for="depot_lat">[^<]*EPSG:2154', response.content.decode())
    response = admin_client.post("/administration/teams/new/", {"name": "Brigade Nord", "hourly_cost": "35"})
    assert re.search(r'data-error-for="name">[^<]+', response.content.decode())
    assert Team.objects.filter(name="Brigade Nord").count() == 1


def test_team_edit_records_old_and_new(admin_client, community):
    team = TeamFactory(community=community, name="Brigade Sud", depot=Point(497_000, 6_613_000, srid=2154))
    response = admin_client.post(
        f"/administration/teams/{team.pk}/",
        {"name": "Brigade Sud-Est", "depot_lon": "", "depot_lat": "", "hourly_cost": "35"},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Brigade Sud-Est" and team.depot is None and not team.active
    event = AuditEvent.objects.get(object_id=team.pk, action="update")
    assert event.changes["name"] == ["Brigade Sud", "Brigade Sud-Est"]
    assert event.changes["active"] == [True, False]


def test_category_in_use_is_not_deleted_but_can_be_deactivated(admin_client, community):
    used = CategoryFactory(community=community, code="tag", name="Tag")
    ReportFactory(community=community, category=used)
    page = admin_client.get(f"/administration/categories/{used.pk}/delete/").content.decode()
    assert 'id="in-use"' in page and 'id="delete-confirm"' not in page
    admin_client.post(f"/administration/categories/{used.pk}/delete/", {"confirm": "yes"})
    assert Category.objects.filter(pk=used.pk).exists()
    response = admin_client.post(
        f"/administration/categories/{used.pk}/",
        {"code": "tag", "name": "Tag", "service_minutes": "30", "is_tag": "on", "public": "on"},
    )
    assert response.status_code == 302
    used.refresh_from_db()
    assert not used.active
    unused = CategoryFactory(community=community, code="old", name="Old")
    admin_client.post(f"/administration/categories/{unused.pk}/delete/", {"confirm": "yes"})
    assert not Category.objects.filter(pk=unused.pk).exists()
    assert AuditEvent.objects.filter(object_id=unused.pk, action="delete").exists()


def test_category_fields_and_duplicate_code(admin_client, community):
    response = admin_client.post(
        "/administration/categories/new/",
        {
            "code": "encombrants",
            "name": "Encombrants",
            "service_minutes": "45",
            "public": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302
    category = Category.objects.get(code="encombrants")
    assert category.service_minutes == 45 and category.public and not category.is_tag
    response = admin_client.post(
        "/administration/categories/new/", {"code": "encombrants", "name": "Autre", "service_minutes": "5"}
    )
    assert response.status_code == 400
    assert re.search(r'data-error-for="code">[^<]+', response.content.decode())


def test_asset_category_in_use_is_deactivated_not_deleted(admin_client, community):
    response = admin_client.post(
        "/administration/asset-categories/new/",
        {"code": "banc", "name": "Banc", "kind": "furniture", "active": "on"},
    )
    assert response.status_code == 302
    category = AssetCategory.objects.get(code="banc", community=community)
    assert category.active
    AssetFactory(community=community, category=category)
    page = admin_client.get(f"/administration/asset-categories/{category.pk}/delete/").content.decode()
    assert "désactivez-la" in page and f"/administration/asset-categories/{category.pk}/" in page
    admin_client.post(f"/administration/asset-categories/{category.pk}/delete/", {"confirm": "yes"})
    assert AssetCategory.objects.filter(pk=category.pk).exists()
    # Deactivated on its edit page (the box unticked): listed as inactive, after the active ones.
    form = admin_client.get(f"/administration/asset-categories/{category.pk}/").content.decode()
    assert re.search(r'<input[^>]*name="active"[^>]*checked', form)
    response = admin_client.post(
        f"/administration/asset-categories/{category.pk}/",
        {"code": "banc", "name": "Banc", "kind": "furniture"},
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert not category.active
    AssetCategory.objects.create(community=community, code="arbre", name="Arbre")
    listing = admin_client.get("/administration/categories/").content.decode()
    table = listing[listing.index('id="asset-category-table"') :]
    assert table.index('data-code="arbre"') < table.index('data-code="banc"')
    assert re.search(r'data-code="banc">.*?Inactive?', table, re.S)


def test_partner_key_shown_once_then_revoked(admin_client, community, client):
    response = admin_client.post("/administration/partners/", {"name": "Appli citoyenne", "rate_limit": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'id="new-key-value" value="([^"]+)"', response.content.decode()).group(1)
    partner = PartnerApiKey.objects.get(name="Appli citoyenne")
    assert partner.key_hash == partner_key_hash(key) and partner.rate_limit == 30
    assert key not in admin_client.get("/administration/partners/").content.decode()  # once only
    response = admin_client.post(f"/administration/partners/{partner.pk}/revoke/", {"confirm": "yes"})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert not partner.active
    # Open311 refuses the revoked key.
    category = CategoryFactory(community=community)
    answer = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "jurisdiction_id": community.slug,
            "service_code": category.code,
            "lat": "46.58",
            "long": "0.34",
        },
    )
    assert answer.status_code in (401, 403)


def test_districts_renamed_deleted_and_import_linked(admin_client, community):
    zone = ZoneFactory(community=community, name="Quartier Gare")
    page = admin_client.get("/administration/districts/").content.decode()
    assert "Quartier Gare" in page and 'href="/geo/imports/"' in page
    admin_client.post(f"/administration/districts/{zone.pk}/", {"name": "Gare", "kind": "sector"})
    zone.refresh_from_db()
    assert (zone.name, zone.kind) == ("Gare", "sector")
    confirm = admin_client.get(f"/administration/districts/{zone.pk}/delete/").content.decode()
    assert 'id="delete-confirm"' in confirm and 'href="/administration/districts/">' in confirm
    admin_client.post(f"/administration/districts/{zone.pk}/delete/", {"confirm": "yes"})
    assert not Zone.objects.filter(pk=zone.pk).exists()
    assert list(AuditEvent.objects.filter(object_id=zone.pk).values_list("action", flat=True)) == [
        "delete",
        "update",
    ]


def test_territory_replaced_by_bbox_or_file(admin_client, community):
    response = admin_client.post(
        "/administration/territory/",
        {"minlon": "0.30", "minlat": "46.55", "maxlon": "0.40", "maxlat": "46.62"},
    )
    assert response.status_code == 302
    community.refresh_from_db()
    assert community.territory.transform(4326, clone=True).extent == pytest.approx((0.30, 46.55, 0.40, 46.62))
    shape = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0.32, 46.56], [0.36, 46.56], [0.36, 46.60], [0.32, 46.56]]],
                },
            }
        ],
    }
    upload = SimpleUploadedFile(
        "commune.geojson", json.dumps(shape).encode(), content_type="application/geo+json"
    )
    response = admin_client.post("/administration/territory/", {"file": upload})
    assert response.status_code == 302
    community.refresh_from_db()
    assert community.territory.transform(4326, clone=True).extent == pytest.approx((0.32, 46.56, 0.36, 46.60))
    bad = SimpleUploadedFile("points.geojson", b'{"type":"Point","coordinates":[0.3,46.5]}')
    response = admin_client.post("/administration/territory/", {"file": bad})
    text = response.content.decode()
    # The file is named as the person knows it, never by its temporary path on the server.
    assert response.status_code == 400 and "points.geojson" in text
    assert tempfile.gettempdir() not in text and "ronde-territory-" not in text
    assert AuditEvent.objects.filter(object_id=community.pk, changes__has_key="territory").count() == 2


def test_audit_page_shows_only_this_communitys_changes(admin_client, community, other_community):
    TeamFactory(community=community)
    admin_client.post(
        "/administration/categories/new/", {"code": "ici", "name": "Ici", "service_minutes": "5"}
    )
    stranger = member(other_community, Role.ADMIN, username="ailleurs")
    from django.test import Client

    other = Client()
    other.force_login(stranger)
    other.post("/administration/categories/new/", {"code": "labas", "name": "Là-bas", "service_minutes": "5"})
    text = admin_client.get("/administration/audit/").content.decode()
    assert "Ici" in text and "Là-bas" not in text and "chef" in text


@pytest.mark.parametrize(
    "url",
    [
        "/administration/",
        "/administration/users/new/",
        "/administration/teams/new/",
        "/administration/audit/",
    ],
)
def test_pages_in_french_by_default_and_in_english(admin_client, url):
    french = admin_client.get(url).content.decode()
    assert '<html lang="fr">' in french and "Utilisateurs" in french
    admin_client.cookies["django_language"] = "en"
    english = admin_client.get(url).content.decode()
    assert '<html lang="en">' in english and "Users" in english and "Utilisateurs" not in english
