"""WFS 2.0 at /wfs/ (ogc/wfs.py): the collections of /ogc/, the same tenancy, read by real
clients (OWSLib's WebFeatureService 2.0.0, GDAL's WFS driver) on a live server."""

import json
from xml.etree import ElementTree as ET  # noqa: S405 - parsing our own server's answers

import pytest
from django.test import Client
from owslib.fes2 import Filter, PropertyIsEqualTo
from owslib.wfs import WebFeatureService
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_token_create
from geo.models import Asset
from tests.factories import POITIERS, member
from tests.interop.test_ogc_clients import gdal_env, run, wgs84_bbox

WFS = "{http://www.opengis.net/wfs/2.0}"
LAYERS = {
    "zones",
    "assets-points",
    "assets-lines",
    "assets-polygons",
    "reports",
    "interventions",
    "assets-bench",
    "assets-wall",
}


@pytest.fixture
def token(data, community) -> str:
    return api_token_create(user=member(community, Role.VIEWER))[1]


def text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def get(client: Client, token: str | None = None, **params: str):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return client.get("/wfs/", {"SERVICE": "WFS", "VERSION": "2.0.0", **params}, **headers)


def geojson_page(client: Client, token: str, **params: str) -> dict:
    """GetFeature of assets-points as GeoJSON."""
    response = get(
        client, token, REQUEST="GetFeature", TYPENAMES="assets-points", OUTPUTFORMAT="geojson", **params
    )
    return json.loads(text(response))


def type_names(capabilities: str) -> set[str]:
    root = ET.fromstring(capabilities)  # noqa: S314 - our own output
    return {el.text.split(":")[-1] for el in root.iter(f"{WFS}Name") if el.text}


def rest_count(token: str, path: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api.get(path, {"page_size": 1}).json()["count"]


@pytest.mark.django_db
def test_capabilities_list_what_ogc_lists(client, token, community):
    listed = type_names(text(get(client, token, REQUEST="GetCapabilities")))
    ogc = {
        c["id"]
        for c in client.get("/ogc/collections", HTTP_AUTHORIZATION=f"Token {token}").json()["collections"]
    }
    assert listed == ogc and listed >= LAYERS


@pytest.mark.django_db
def test_tenancy_and_publication(client, data, community, other_community):
    # Nothing published: an anonymous caller is refused, in the OWS exception format.
    refused = get(client, REQUEST="GetCapabilities", community="poitiers")
    assert refused.status_code == 401 and "ExceptionReport" in text(refused)
    # Publishing zones and reports opens those two, and only those.
    community.settings = {"publish_ogc": ["zones", "reports"]}
    community.save()
    assert type_names(text(get(client, REQUEST="GetCapabilities", community="poitiers"))) == {
        "zones",
        "reports",
    }
    hidden = get(client, REQUEST="GetFeature", TYPENAMES="assets-points", community="poitiers")
    assert hidden.status_code == 400 and "assets-points" in text(hidden)
    # A member of the other community sees its 3 assets, never Poitiers'.
    other = api_token_create(user=member(other_community, Role.VIEWER))[1]
    page = json.loads(
        text(get(client, other, REQUEST="GetFeature", TYPENAMES="assets-points", OUTPUTFORMAT="geojson"))
    )
    assert page["numberMatched"] == 3


@pytest.mark.django_db
def test_get_feature_bbox_filter_paging_crs(client, token, community):
    # bbox in Lambert-93 around the 2 western columns, rows 0–1 of the grid: 4 assets.
    bbox = f"{POITIERS[0] - 50},{POITIERS[1] - 50},{POITIERS[0] + 150},{POITIERS[1] + 150},EPSG:2154"
    page = geojson_page(client, token, BBOX=bbox)
    assert page["numberMatched"] == 4
    # FES 2.0 filter on a property.
    fes = (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
        "<fes:ValueReference>category</fes:ValueReference><fes:Literal>wall</fes:Literal>"
        "</fes:PropertyIsEqualTo></fes:Filter>"
    )
    walls = geojson_page(client, token, FILTER=fes)
    assert walls["numberMatched"] == 4 and {f["properties"]["category"] for f in walls["features"]} == {
        "wall"
    }
    # Paging: 12 assets, 5 a page, the third page holds 2.
    third = geojson_page(client, token, COUNT="5", STARTINDEX="10")
    assert third["numberMatched"] == 12 and third["numberReturned"] == 2
    # GML 3.2 in WGS 84 (urn form: latitude first).
    gml = text(
        get(client, token, REQUEST="GetFeature", TYPENAMES="reports", SRSNAME="urn:ogc:def:crs:EPSG::4326")
    )
    root = ET.fromstring(gml)  # noqa: S314 - our own output
    assert root.get("numberMatched") == "7"
    lat, lon = map(float, next(root.iter("{http://www.opengis.net/gml/3.2}pos")).text.split())
    assert 46.5 < lat < 46.7 and 0.2 < lon < 0.5  # Poitiers


@pytest.mark.django_db(transaction=True)
def test_owslib_reads_every_layer(live_server, token, community):
    wfs = WebFeatureService(
        f"{live_server.url}/wfs/?community=poitiers",
        version="2.0.0",
        headers={"Authorization": f"Token {token}"},
    )
    names = {name.split(":")[-1] for name in wfs.contents}
    assert names >= LAYERS
    everything = json.loads(wfs.getfeature(typename=["ronde:assets-points"], outputFormat="geojson").read())
    assert len(everything["features"]) == rest_count(token, "/api/v1/assets/") == 12
    bbox = wgs84_bbox(POITIERS[0] - 50, POITIERS[1] - 50, POITIERS[0] + 150, POITIERS[1] + 150)
    inside = json.loads(
        wfs.getfeature(
            typename=["ronde:assets-points"],
            bbox=(*bbox, "urn:ogc:def:crs:OGC:1.3:CRS84"),
            outputFormat="geojson",
        ).read()
    )
    assert len(inside["features"]) == 4
    # An FES 2.0 filter built by OWSLib, in an XML GetFeature sent by POST (its GET sends a
    # `query` parameter WFS 2.0 does not have).
    fes = ET.tostring(Filter(PropertyIsEqualTo(propertyname="category", literal="wall")).toXML()).decode()
    walls = ET.fromstring(wfs.getfeature(typename=["ronde:assets-points"], filter=fes, method="POST").read())  # noqa: S314
    categories = [el.text for el in walls.iter("{https://ronde.fr/ns/wfs}category")]
    assert categories == ["wall"] * 4
    assert len(
        json.loads(wfs.getfeature(typename=["ronde:reports"], outputFormat="geojson").read())["features"]
    ) == (rest_count(token, "/api/v1/reports/"))


@pytest.mark.django_db(transaction=True)
def test_gdal_wfs_driver_lists_and_reads_every_layer(live_server, token, community):
    url = f"WFS:{live_server.url}/wfs/?community=poitiers"
    listing = run(["ogrinfo", "-ro", "-q", url], gdal_env(token))
    for layer in LAYERS:
        assert f"ronde:{layer}" in listing or f": {layer}" in listing, listing
    counts = {
        "assets-points": "/api/v1/assets/",
        "reports": "/api/v1/reports/",
        "zones": "/api/v1/zones/",
        "interventions": "/api/v1/interventions/",
    }
    for layer, path in counts.items():
        summary = run(["ogrinfo", "-ro", "-so", url, layer], gdal_env(token))
        assert f"Feature Count: {rest_count(token, path)}" in summary, summary
    # Every feature read, page after page (GDAL pages with STARTINDEX/COUNT).
    dump = run(
        [
            "ogrinfo",
            "-ro",
            "--config",
            "OGR_WFS_PAGING_ALLOWED",
            "ON",
            "--config",
            "OGR_WFS_PAGE_SIZE",
            "5",
            url,
            "assets-points",
        ],
        gdal_env(token),
    )
    assert dump.count("OGRFeature(") == Asset.objects.filter(community=community).count() == 12
