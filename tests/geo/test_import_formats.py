"""Every supported format, read as communities publish it (files written by the tests)."""

import json
import zipfile

import pytest
from django.contrib.gis.geos import Point as GEOSPoint
from shapely.geometry import LineString, Point

from geo.io.csv import _coordinate
from geo.models import Asset, Zone
from geo.services.imports import geodata_import
from tests.factories import AssetCategoryFactory
from tests.geo.geodata_files import (
    TO_3857,
    feature,
    l93,
    l93_point,
    l93_square,
    lonlat,
    point,
    write_geojson,
    write_layer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench(community):
    return AssetCategoryFactory(community=community, code="bench", name="Banc")


def run(community, path, **kwargs):
    kwargs.setdefault("into", "assets")
    if kwargs["into"] == "assets":
        kwargs.setdefault("category", "bench")
    return geodata_import(community=community, path=path, **kwargs)


def assert_near(geom, xy, tolerance=0.01):
    """Within 1 cm (Lambert-93 metres)."""
    assert geom.distance(GEOSPoint(*xy, srid=2154)) < tolerance, (geom.coords, xy)


def test_geojson_feature_collection(community, bench, tmp_path):
    path = write_geojson(
        tmp_path / "bancs.geojson",
        [feature(point(0, 0), nom="Banc A", id="a"), feature(point(100, 0), nom="Banc B", id="b")],
    )
    report = run(community, path, external_id="id")
    assert report.ok, report.lines()
    assert (report.total, report.created, report.crs) == (2, 2, "EPSG:4326")
    assert sorted(Asset.objects.values_list("name", flat=True)) == ["Banc A", "Banc B"]
    assert_near(Asset.objects.get(external_id="b").geom, l93(100, 0))


def test_geojson_bare_array_of_features(community, bench, tmp_path):
    path = tmp_path / "portal.json"
    path.write_text(json.dumps([feature(point(0, 0), nom="A"), feature(point(10, 10), nom="B")]))
    report = run(community, path)
    assert report.ok, report.lines()
    assert report.created == 2
    assert any("bare JSON array" in note for note in report.notes)


def test_geojson_legacy_crs_member_is_honoured(community, bench, tmp_path):
    x, y = TO_3857.transform(*l93(250, -120))
    path = write_geojson(
        tmp_path / "mercator.geojson",
        [feature({"type": "Point", "coordinates": [x, y]}, nom="Mercator")],
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
    )
    report = run(community, path)
    assert report.ok and report.crs == "EPSG:3857", report.lines()
    assert_near(Asset.objects.get().geom, l93(250, -120))


def test_lambert93_point_lands_where_its_wgs84_twin_lands(community, bench, tmp_path):
    l93_file = write_layer(
        tmp_path / "l93.gpkg", [{"ref": "l93"}], [l93_point(333.3, 444.4)], 2154, layer="p"
    )
    wgs_file = write_geojson(tmp_path / "wgs.geojson", [feature(point(333.3, 444.4), ref="wgs")])
    assert run(community, l93_file, external_id="ref").ok
    assert run(community, wgs_file, external_id="ref").ok
    a, b = Asset.objects.get(external_id="l93").geom, Asset.objects.get(external_id="wgs").geom
    assert a.distance(b) < 0.01


def test_geopackage_layer_choice(community, bench, tmp_path):
    path = tmp_path / "registre.gpkg"
    write_layer(path, [{"nom": "Banc"}], [l93_point(0, 0)], 2154, layer="bancs")
    write_layer(
        path,
        [{"nom": "Parc"}, {"nom": "Square"}],
        [l93_square(0, 0, 50), l93_square(500, 0, 20)],
        2154,
        layer="parcs",
        append=False,
    )
    report = run(community, path, layer="parcs")
    assert report.ok, report.lines()
    assert report.created == 2 and report.layer == "parcs"
    assert sorted(Asset.objects.values_list("name", flat=True)) == ["Parc", "Square"]


def test_geopackage_with_several_layers_needs_one(community, bench, tmp_path):
    path = tmp_path / "registre.gpkg"
    write_layer(path, [{"nom": "Banc"}], [l93_point(0, 0)], 2154, layer="bancs")
    write_layer(path, [{"nom": "Parc"}], [l93_square(0, 0, 50)], 2154, layer="parcs")
    report = run(community, path)
    assert not report.ok
    assert "several layers (bancs, parcs)" in report.lines()[0]
    unknown = run(community, path, layer="arbres")
    assert "unknown layer 'arbres' (layers: bancs, parcs)" in unknown.lines()[0]
    assert Asset.objects.count() == 0


def test_shapefile_zip_with_prj_and_z_dropped(community, bench, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    x, y = l93(120, 80)
    write_layer(
        folder / "mobilier.shp", [{"NOM": "Corbeille", "CODE_POST": 86000.0}], [Point(x, y, 112.5)], 2154
    )
    archive = tmp_path / "mobilier.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in folder.iterdir():
            out.write(file, arcname=f"export/{file.name}")
    report = run(community, archive)
    assert report.ok, report.lines()
    assert report.crs == "EPSG:2154"
    asset = Asset.objects.get()
    assert not asset.geom.hasz
    assert_near(asset.geom, (x, y))
    assert asset.name == "Corbeille"
    assert asset.attributes["CODE_POST"] == 86000  # a float in the .dbf, an integer here


def test_shapefile_folder_lines(community, bench, tmp_path):
    folder = tmp_path / "reseau"
    folder.mkdir()
    line = LineString([l93(0, 0), l93(50, 0), l93(50, 60)])
    write_layer(folder / "haies.shp", [{"nom": "Haie"}], [line], 2154)
    report = run(community, folder)
    assert report.ok, report.lines()
    assert Asset.objects.get().geom.geom_type == "LineString"


def test_csv_lon_lat_semicolon_latin1_decimal_comma(community, bench, tmp_path):
    lon, lat = lonlat(10, 20)
    text = "nom;longitude;latitude\nBanc de l'église;{};{}\nAbribus côté sud;{};{}\n".format(
        str(lon).replace(".", ","),
        str(lat).replace(".", ","),
        *(str(v).replace(".", ",") for v in lonlat(-40, 5)),
    )
    path = tmp_path / "bancs.csv"
    path.write_bytes(text.encode("latin-1"))
    report = run(community, path)
    assert report.ok, report.lines()
    assert report.created == 2
    assert sorted(Asset.objects.values_list("name", flat=True)) == ["Abribus côté sud", "Banc de l'église"]
    assert_near(Asset.objects.get(name__startswith="Banc").geom, l93(10, 20))
    assert any("Latin-1" in note for note in report.notes)


def test_csv_wkt_column_comma_separated(community, bench, tmp_path):
    x, y = lonlat(5, 5)
    path = tmp_path / "wkt.csv"
    path.write_text(f'id,nom,wkt\n1,Banc,"POINT ({x} {y})"\n', encoding="utf-8")
    report = run(community, path, external_id="id")
    assert report.ok, report.lines()
    assert_near(Asset.objects.get(external_id="1").geom, l93(5, 5))


@pytest.mark.parametrize("style", ["dict", "pair"])
def test_csv_point_written_as_text(community, bench, tmp_path, style):
    lon, lat = lonlat(-200, 300)
    value = f"{{'lon': {lon}, 'lat': {lat}}}" if style == "dict" else f"{lat}, {lon}"
    path = tmp_path / "signalements.csv"
    path.write_text(f'nom;geo_point_2d\nTag;"{value}"\n', encoding="utf-8")
    report = run(community, path)
    assert report.ok, report.lines()
    assert_near(Asset.objects.get().geom, l93(-200, 300))


def test_csv_with_lambert93_xy_columns_asks_for_the_crs_with_a_hint(community, bench, tmp_path):
    # A French registry's export: X;Y in Lambert-93 metres, decimal commas, no CRS anywhere.
    x, y = l93(10, 20)
    path = tmp_path / "mobilier.csv"
    path.write_text(f"nom;X;Y\nBanc;{x:.2f};{y:.2f}\n".replace(".", ","), encoding="utf-8")
    report = run(community, path)
    assert not report.ok and Asset.objects.count() == 0
    assert "mobilier.csv: the coordinates are not longitude/latitude" in report.lines()[0]
    assert "--srid 2154?" in report.lines()[0]  # was "cannot be transformed from EPSG:4326"
    report = run(community, path, srid=2154)
    assert report.ok, report.lines()
    assert_near(Asset.objects.get().geom, l93(10, 20))


def test_csv_empty_rows_at_the_end_are_no_features(community, bench, tmp_path):
    # Excel's CSV export keeps the rows once formatted or cleared: ";;" lines after the data.
    lon, lat = (str(v).replace(".", ",") for v in lonlat(10, 20))
    path = tmp_path / "bancs.csv"
    path.write_bytes(f"nom;lat;lon\r\nBanc;{lat};{lon}\r\n;;\r\n ; ;\r\n;;\r\n".encode("cp1252"))
    report = run(community, path)
    assert report.ok, report.lines()
    assert (report.total, report.created, report.skipped, report.problems) == (1, 1, 0, [])


def test_csv_without_geometry_names_the_columns(community, bench, tmp_path):
    path = tmp_path / "rien.csv"
    path.write_text("nom,commune\nBanc,Poitiers\n")
    report = run(community, path)
    assert not report.ok
    assert "rien.csv: no geometry column" in report.lines()[0]
    assert "columns: nom, commune" in report.lines()[0]


def test_kml(community, tmp_path):
    path = write_layer(
        tmp_path / "quartiers.kml",
        [{"Name": "Centre"}, {"Name": "Gare"}],
        [l93_square(0, 0, 300), l93_square(1000, 0, 300)],
        2154,
        driver="KML",
    )
    report = run(community, path, into="zones")
    assert report.ok, report.lines()
    assert sorted(Zone.objects.values_list("name", flat=True)) == ["Centre", "Gare"]
    assert abs(Zone.objects.get(name="Centre").geom.area - 600 * 600) < 1  # m², Lambert-93


def test_unreadable_file(community, bench, tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage")
    report = run(community, path)
    assert not report.ok
    assert report.lines()[0].startswith("[error] broken.gpkg: cannot read the file")


def test_csv_coordinates_in_degrees_minutes_seconds(community, bench, tmp_path):
    # Typed by hand in a spreadsheet: 46°34'48" N, 0°20'24" E; "O" is the French west.
    path = tmp_path / "bancs.csv"
    path.write_text(
        "nom;latitude;longitude\nBanc;46°34'48\" N;0°20'24\" E\nBorne;46° 34,8' N;0° 20,4′\n",
        encoding="utf-8",
    )
    report = run(community, path)
    assert report.ok and report.created == 2, report.lines()
    east = Asset.objects.get(name="Banc").geom.transform(4326, clone=True)
    assert (east.x, east.y) == (pytest.approx(0.34), pytest.approx(46.58))
    assert Asset.objects.get(name="Borne").geom.transform(4326, clone=True).x == pytest.approx(0.34)
    assert (_coordinate("0° 20′ 24″ O"), _coordinate("S 12°30'")) == (pytest.approx(-0.34), -12.5)


def test_csv_with_no_readable_coordinate_says_why(community, bench, tmp_path):
    path = tmp_path / "bancs.csv"
    path.write_text("nom;latitude;longitude\nBanc;quarante-six;zéro\n", encoding="utf-8")
    report = run(community, path)
    assert report.lines() == [
        "[error] bancs.csv: no feature has a geometry "
        "(feature #0: no readable coordinates in columns 'longitude'/'latitude')"
    ]
