"""Real OGC API – Features clients against a live server on loopback: GDAL's OAPIF driver
(Debian's ogrinfo/ogr2ogr, GDAL 3.6, and pyogrio's bundled GDAL) and OWSLib's Features."""

import json
import os
import subprocess  # noqa: S404 - runs GDAL's command-line tools with fixed arguments
import sys
from pathlib import Path

import pyogrio
import pytest
from django.contrib.gis.geos import Polygon
from owslib.ogcapi.features import Features

from accounts.models import Membership, Role
from accounts.services import api_token_create
from geo.models import Asset
from tests.factories import POITIERS, member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(data, community) -> str:
    return api_token_create(user=member(community, Role.VIEWER))[1]


def gdal_env(token: str | None, community: str | None = None) -> dict[str, str]:
    headers = []
    if token:
        headers.append(f"Authorization: Token {token}")
    if community:
        headers.append(f"X-Ronde-Community: {community}")
    env = {**os.environ, "GDAL_HTTP_UNSAFESSL": "NO", "CPL_DEBUG": "OFF"}
    if headers:
        # GDAL ≥ 3.6: extra HTTP headers, one per line.
        env["GDAL_HTTP_HEADERS"] = "\r\n".join(headers)
    return env


def run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return result.stdout


def wgs84_bbox(minx: float, miny: float, maxx: float, maxy: float) -> tuple[float, float, float, float]:
    polygon = Polygon.from_bbox((minx, miny, maxx, maxy))
    polygon.srid = 2154
    polygon.transform(4326)
    return polygon.extent


def assets_in(bbox_wgs84: tuple[float, float, float, float], community) -> int:
    """What the database says: assets of the community whose position falls in the bbox."""
    count = 0
    for asset in Asset.objects.filter(community=community):
        point = asset.geom.transform(4326, clone=True)
        if bbox_wgs84[0] <= point.x <= bbox_wgs84[2] and bbox_wgs84[1] <= point.y <= bbox_wgs84[3]:
            count += 1
    return count


def test_ogrinfo_lists_layers_and_counts(live_server, token, community):
    url = f"OAPIF:{live_server.url}/ogc/"
    listing = run(["ogrinfo", "-ro", "-q", url], gdal_env(token))
    for layer in ("zones", "assets-points", "reports", "interventions", "assets-bench", "assets-wall"):
        assert f": {layer}" in listing, listing
    summary = run(["ogrinfo", "-ro", "-so", url, "assets-wall"], gdal_env(token))
    assert "Feature Count: 4" in summary, summary
    everything = run(["ogrinfo", "-ro", "-so", url, "assets-points"], gdal_env(token))
    assert f"Feature Count: {Asset.objects.filter(community=community).count()}" in everything


def test_ogr2ogr_to_geopackage_with_bbox_and_paging(live_server, token, community, tmp_path: Path):
    # A bbox holding the 2 western columns of the grid, rows 0–1 (4 assets).
    bbox = wgs84_bbox(POITIERS[0] - 50, POITIERS[1] - 50, POITIERS[0] + 150, POITIERS[1] + 150)
    expected = assets_in(bbox, community)
    assert expected == 4
    target = tmp_path / "assets.gpkg"
    run(
        [
            "ogr2ogr",
            "-f",
            "GPKG",
            str(target),
            f"OAPIF:{live_server.url}/ogc/",
            "assets-points",
            "-spat",
            *map(str, bbox),
            "-oo",
            "PAGE_SIZE=3",  # several pages: follows `next` links
        ],
        gdal_env(token),
    )
    frame = pyogrio.read_dataframe(target)
    assert len(frame) == expected
    assert set(frame["category"]) <= {"bench", "wall"}
    everything = tmp_path / "all.gpkg"
    run(
        [
            "ogr2ogr",
            "-f",
            "GPKG",
            str(everything),
            f"OAPIF:{live_server.url}/ogc/",
            "assets-points",
            "-oo",
            "PAGE_SIZE=5",
        ],
        gdal_env(token),
    )
    assert len(pyogrio.read_dataframe(everything)) == 12


def pyogrio_read(url: str, layer: str, bbox: tuple[float, ...] | None = None) -> dict:
    """Read through pyogrio's own GDAL in a child process: in this process GDAL would hold the
    GIL while it waits for the live server's thread, and both would wait for ever."""
    code = (
        "import json, sys, pyogrio; "
        "bbox = json.loads(sys.argv[3]); "
        "frame = pyogrio.read_dataframe(sys.argv[1], layer=sys.argv[2], bbox=tuple(bbox) if bbox else None); "
        "print(json.dumps({'count': len(frame), 'epsg': frame.crs.to_epsg(), 'columns': list(frame.columns)}))"
    )
    out = run([sys.executable, "-c", code, url, layer, json.dumps(bbox)], dict(os.environ))
    return json.loads(out)


def test_pyogrio_reads_a_published_community_anonymously(live_server, data, community):
    community.settings = {"publish_ogc": True}
    community.save()
    url = f"OAPIF:{live_server.url}/ogc/?community=poitiers"
    reports = pyogrio_read(url, "reports")
    assert reports["count"] == 7 and "status" in reports["columns"]
    # GDAL ≥ 3.7 asks for the storage CRS (storageCrs, Part 2): Lambert-93 comes back as is.
    assert reports["epsg"] in (4326, 2154)
    # pyogrio's bbox is in the layer's CRS: Lambert-93 here, sent as bbox + bbox-crs.
    lambert = (POITIERS[0] - 50, POITIERS[1] - 50, POITIERS[0] + 150, POITIERS[1] + 50)
    bbox = lambert if reports["epsg"] == 2154 else wgs84_bbox(*lambert)
    assets = pyogrio_read(url, "assets-points", bbox)
    assert assets["count"] == assets_in(wgs84_bbox(*lambert), community) == 2


def test_gdal_tenancy(live_server, data, community, other_community):
    # Nothing published: GDAL without a token is refused.
    result = subprocess.run(  # noqa: S603
        ["ogrinfo", "-ro", "-q", f"OAPIF:{live_server.url}/ogc/?community=poitiers", "assets-points"],  # noqa: S607
        env=gdal_env(None),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    # A user of two communities chooses one with the header.
    user = member(community, Role.VIEWER)
    Membership.objects.create(user=user, community=other_community, role=Role.VIEWER)
    key = api_token_create(user=user)[1]
    other = run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogc/", "assets-points"], gdal_env(key, "autre")
    )
    assert "Feature Count: 3" in other
    mine = run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogc/", "assets-points"], gdal_env(key, "poitiers")
    )
    assert "Feature Count: 12" in mine


def test_owslib_features(live_server, token, community):
    api = Features(f"{live_server.url}/ogc/", headers={"Authorization": f"Token {token}"})
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    assert api.api()["openapi"].startswith("3.0")
    ids = [c["id"] for c in api.collections()["collections"]]
    assert "assets-bench" in ids and "reports" in ids
    assert api.collection("assets-bench")["id"] == "assets-bench"
    page = api.collection_items("assets-points", limit=5, offset=10)
    assert page["numberMatched"] == 12 and page["numberReturned"] == 2
    bbox = wgs84_bbox(POITIERS[0] - 50, POITIERS[1] - 50, POITIERS[0] + 150, POITIERS[1] + 150)
    inside = api.collection_items("assets-points", bbox=list(bbox))
    assert inside["numberMatched"] == assets_in(bbox, community) == 4
    first = inside["features"][0]
    assert api.collection_item("assets-points", first["id"])["id"] == first["id"]
    reports = api.collection_items("reports", datetime_="../2100-01-01T00:00:00Z")
    assert reports["numberMatched"] == 7
