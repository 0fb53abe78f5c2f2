"""OGC API – Features through Django's client: documents, items, paging, parameters, tenancy."""

import json
from datetime import UTC

import pytest
from django.test import Client

from accounts.models import Role
from accounts.services import api_token_create
from tests.factories import POITIERS, ReportFactory, member

pytestmark = pytest.mark.django_db


def token_client(community, role=Role.VIEWER) -> Client:
    user = member(community, role)
    return Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")


def test_landing_conformance_and_api(client):
    landing = client.get("/ogc/", {"f": "json"}).json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= rels
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    response = client.get("/ogc/api")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    assert document["openapi"].startswith("3.0")
    assert "/collections/{collectionId}/items" in document["paths"]
    # Self-contained: every $ref points inside the document.
    refs = [part.split('"')[0] for part in json.dumps(document).split('"$ref": "')[1:]]
    assert refs and all(ref.startswith("#/") for ref in refs)


def test_member_sees_every_collection_of_their_community(data, community):
    api = token_client(community)
    body = api.get("/ogc/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == [
        "zones",
        *("assets-points", "assets-lines", "assets-polygons"),
        *("reports", "interventions", "assets-bench", "assets-wall"),
    ]
    bench = api.get("/ogc/collections/assets-bench").json()
    assert bench["extent"]["spatial"]["bbox"][0][0] == pytest.approx(0.27, abs=0.05)  # Poitiers, CRS84
    assert "http://www.opengis.net/def/crs/EPSG/0/2154" in bench["crs"]


def test_items_counts_and_properties_match_the_database(data, community):
    api = token_client(community)
    body = api.get("/ogc/collections/assets-points/items").json()
    assert body["numberMatched"] == 12 and body["numberReturned"] == 12
    body = api.get("/ogc/collections/assets-wall/items").json()
    assert body["numberMatched"] == 4
    assert {f["properties"]["category"] for f in body["features"]} == {"wall"}
    assert body["features"][0]["geometry"]["type"] == "Point"
    lon, lat = body["features"][0]["geometry"]["coordinates"]
    assert 0.2 < lon < 0.5 and 46.4 < lat < 46.7  # CRS84: longitude first


def test_paging_links(data, community):
    api = token_client(community)
    first = api.get("/ogc/collections/assets-points/items", {"limit": 5})
    body = first.json()
    assert body["numberReturned"] == 5 and body["numberMatched"] == 12
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert "prev" not in links
    seen = [f["id"] for f in body["features"]]
    while "next" in links:
        body = api.get(links["next"]).json()
        links = {link["rel"]: link["href"] for link in body["links"]}
        seen += [f["id"] for f in body["features"]]
    assert len(seen) == len(set(seen)) == 12
    assert "prev" in links and "offset=5" in links["prev"] and "limit=5" in links["prev"]


def test_bbox_and_crs(data, community):
    api = token_client(community)
    # The western column (x = centre ± 50 m) in Lambert-93 via bbox-crs.
    epsg = "http://www.opengis.net/def/crs/EPSG/0/2154"
    bbox = f"{POITIERS[0] - 50},{POITIERS[1] - 50},{POITIERS[0] + 50},{POITIERS[1] + 1000}"
    response = api.get("/ogc/collections/assets-points/items", {"bbox": bbox, "bbox-crs": epsg, "crs": epsg})
    body = response.json()
    assert body["numberMatched"] == 3  # grid rows 0, 1, 2 of the first column
    assert response["Content-Crs"] == f"<{epsg}>"
    assert {tuple(f["geometry"]["coordinates"]) for f in body["features"]} == {
        (POITIERS[0], POITIERS[1] + dy) for dy in (0, 100, 200)
    }


def test_datetime_filter(community):
    from datetime import datetime

    ReportFactory(community=community, reported_at=datetime(2025, 3, 1, 10, tzinfo=UTC))
    ReportFactory(community=community, reported_at=datetime(2025, 4, 1, 10, tzinfo=UTC))
    api = token_client(community)
    get = lambda value: api.get("/ogc/collections/reports/items", {"datetime": value}).json()["numberMatched"]  # noqa: E731
    assert get("2025-03-01") == 1
    assert get("2025-02-01T00:00:00Z/2025-03-15T00:00:00Z") == 1
    assert get("2025-03-15T00:00:00Z/..") == 1
    assert get("../2025-05-01T00:00:00Z") == 2


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/ogc/collections/assets-points/items", {"colour": "red"}),
        ("/ogc/collections/assets-points/items", {"page": "2"}),
        ("/ogc/collections", {"bbox": "0,0,1,1"}),
        ("/ogc/", {"foo": "1"}),
        ("/ogc/collections/assets-points/items", {"bbox": "1,2,3"}),
        ("/ogc/collections/assets-points/items", {"limit": "zero"}),
        ("/ogc/collections/assets-points/items", {"crs": "EPSG:3857"}),
        ("/ogc/collections/assets-points/items", {"datetime": "yesterday"}),
    ],
)
def test_unknown_or_bad_parameters_are_400(data, community, path, params):
    response = token_client(community).get(path, params)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"


def test_feature_by_id_and_404(data, community, other_community):
    api = token_client(community)
    first = api.get("/ogc/collections/assets-points/items", {"limit": 1}).json()["features"][0]
    feature = api.get(f"/ogc/collections/assets-points/items/{first['id']}").json()
    assert feature["id"] == first["id"] and feature["type"] == "Feature"
    other_asset = other_community.assets.first()
    assert api.get(f"/ogc/collections/assets-points/items/{other_asset.pk}").status_code == 404
    assert api.get("/ogc/collections/nope/items").status_code == 404


def test_tenancy_anonymous_and_published(data, community, other_community):
    anonymous = Client()
    # Nothing is published by default.
    assert anonymous.get("/ogc/collections", {"community": "poitiers"}).status_code == 401
    assert anonymous.get("/ogc/collections/assets-points/items", {"community": "poitiers"}).status_code == 401
    community.settings = {"publish_ogc": ["assets"]}
    community.save()
    ids = [
        c["id"] for c in anonymous.get("/ogc/collections", {"community": "poitiers"}).json()["collections"]
    ]
    assert ids == ["assets-points", "assets-lines", "assets-polygons", "assets-bench", "assets-wall"]
    assert anonymous.get("/ogc/collections/reports/items", {"community": "poitiers"}).status_code == 404
    # The only publishing community is the default one.
    assert anonymous.get("/ogc/collections/assets-points/items").json()["numberMatched"] == 12


def test_tenancy_member_of_two_communities_picks_one(data, community, other_community):
    user = member(community, Role.VIEWER)
    from accounts.models import Membership

    Membership.objects.create(user=user, community=other_community, role=Role.VIEWER)
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    assert (
        api.get("/ogc/collections/assets-points/items", {"community": "autre"}).json()["numberMatched"] == 3
    )
    assert (
        api.get("/ogc/collections/assets-points/items", {"community": "autre"}).json()["numberMatched"] == 3
    )
    assert (
        api.get("/ogc/collections/assets-points/items", HTTP_X_RONDE_COMMUNITY="autre").json()[
            "numberMatched"
        ]
        == 3
    )
    body = api.get("/ogc/collections/assets-points/items", {"community": "poitiers", "limit": 5}).json()
    assert body["numberMatched"] == 12
    # Paging keeps the community.
    next_link = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert "community=poitiers" in next_link
    # A member of one community only cannot read another.
    outsider = token_client(other_community)
    assert outsider.get("/ogc/collections/assets-points/items", {"community": "poitiers"}).status_code == 403
    assert outsider.get("/ogc/collections/assets-points/items").json()["numberMatched"] == 3


def test_bad_token_is_401(data):
    response = Client(HTTP_AUTHORIZATION="Token nope").get("/ogc/collections")
    assert response.status_code == 401


def test_html_pages(data, community):
    user = member(community, Role.VIEWER)
    browser = Client()
    browser.force_login(user)
    for path in (
        "/ogc/",
        "/ogc/conformance",
        "/ogc/api",
        "/ogc/collections",
        "/ogc/collections/assets-points",
    ):
        response = browser.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html"), path
    page = browser.get("/ogc/collections/assets-points/items", {"f": "html", "limit": 5}).content.decode()
    assert page.count("data-feature=") == 5 and 'rel="next"' in page
