"""One geometry type per published collection: GDAL types a layer from its first features,
so a mixed layer makes `ogr2ogr` write a non-conformant GeoPackage ("A geometry of type
POLYGON is inserted into layer … of geometry type POINT")."""

import subprocess  # noqa: S404 - runs GDAL's command-line tools with fixed arguments
from pathlib import Path

import pyogrio
import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from accounts.models import Role
from accounts.services import api_token_create
from tests.factories import POITIERS, AssetCategoryFactory, AssetFactory, member
from tests.interop.test_ogc_clients import gdal_env

X, Y = POITIERS  # Lambert-93, metres

# Collection id -> (GeoPackage geometry type, feature count).
EXPECTED = {
    "assets-points": ("Point", 3 + 1),
    "assets-lines": ("LineString", 2 + 3),
    "assets-polygons": ("Polygon", 2),
    "assets-multipolygons": ("MultiPolygon", 1),
    "assets-bench": ("Point", 3),
    "assets-wall": ("LineString", 2),
    "assets-park": ("Polygon", 2),
    "assets-green": ("MultiPolygon", 1),
    "assets-legacy-lines": ("LineString", 3),
    "assets-legacy-points": ("Point", 1),
    "zones": ("MultiPolygon", 0),
    "reports": ("Point", 0),
    "interventions": ("Point", 0),
}


def square(x: float, y: float, side: float = 20.0) -> Polygon:
    return Polygon.from_bbox((x, y, x + side, y + side))


@pytest.fixture
def registry(community):
    """Points, lines, polygons and a multipolygon, and a category from before the import
    refused mixing: 3 walls and one stray point."""
    bench = AssetCategoryFactory(community=community, code="bench", name="Bancs")
    wall = AssetCategoryFactory(community=community, code="wall", name="Murs", kind="surface")
    park = AssetCategoryFactory(community=community, code="park", name="Parcs", kind="green")
    green = AssetCategoryFactory(community=community, code="green", name="Espaces verts", kind="green")
    legacy = AssetCategoryFactory(community=community, code="legacy", name="Ancien registre")
    for i in range(3):
        AssetFactory(community=community, category=bench, geom=Point(X + i * 10, Y, srid=2154))
        AssetFactory(
            community=community,
            category=legacy,
            geom=LineString((X, Y + 50 + i), (X + 8, Y + 50 + i), srid=2154),  # a 8 m façade
        )
    for i in range(2):
        AssetFactory(
            community=community, category=wall, geom=LineString((X, Y + i), (X + 5, Y + i), srid=2154)
        )
        AssetFactory(community=community, category=park, geom=square(X + 100 * i, Y + 200))
    AssetFactory(community=community, category=legacy, geom=Point(X, Y + 60, srid=2154))
    multi = MultiPolygon(square(X, Y + 400), square(X + 50, Y + 400), srid=2154)
    AssetFactory(community=community, category=green, geom=multi)
    return api_token_create(user=member(community, Role.VIEWER))[1]


@pytest.mark.django_db
def test_collections_are_split_by_geometry_type(client, registry):
    body = client.get("/ogc/collections", HTTP_AUTHORIZATION=f"Token {registry}").json()
    assert {c["id"] for c in body["collections"]} == set(EXPECTED)
    assert "assets" not in {c["id"] for c in body["collections"]}  # the mixed layer is gone
    # WFS declares the one geometry type (DescribeFeatureType).
    schema = client.get(
        "/wfs/",
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "DescribeFeatureType", "TYPENAMES": "assets-lines"},
        HTTP_AUTHORIZATION=f"Token {registry}",
    ).content.decode()
    assert 'name="geom" type="gml:CurvePropertyType"' in schema


@pytest.mark.django_db(transaction=True)
def test_ogr2ogr_of_every_collection_gives_a_conformant_geopackage(live_server, registry, tmp_path: Path):
    env = gdal_env(registry)
    for collection, (geometry_type, count) in EXPECTED.items():
        target = tmp_path / f"{collection}.gpkg"
        sources = {
            f"OAPIF:{live_server.url}/ogc/": ["-oo", "PAGE_SIZE=1000"],
            f"WFS:{live_server.url}/wfs/": [],
        }
        for source, options in sources.items():
            target.unlink(missing_ok=True)
            result = subprocess.run(  # noqa: S603
                ["ogr2ogr", "-f", "GPKG", str(target), source, collection, *options],  # noqa: S607
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            assert "geometry of type" not in result.stderr, (source, collection, result.stderr)
            assert "Warning" not in result.stderr, (source, collection, result.stderr)
            if count:
                info = pyogrio.read_info(target)
                assert info["features"] == count, (source, collection)
                assert info["geometry_type"] == geometry_type, (source, collection, info["geometry_type"])
