"""Real data is messy: each bad case gets a clear report, and a bad file writes nothing."""

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import Point, Polygon

from geo.models import Asset, Zone
from geo.services.imports import geodata_import
from interventions.models import Intervention, Report
from tests.factories import AssetCategoryFactory, AssetFactory, CategoryFactory
from tests.geo.geodata_files import (
    FAR,
    feature,
    l93,
    l93_point,
    l93_square,
    lonlat,
    point,
    write_geojson,
    write_layer,
)
from tests.real_data import real_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench(community):
    return AssetCategoryFactory(community=community, code="bench", name="Banc")


@pytest.fixture
def tag(community):
    return CategoryFactory(community=community, code="tag", name="Tag")


def test_floats_in_text_fields_and_nulls(community, bench, tmp_path):
    path = write_geojson(
        tmp_path / "bancs.geojson",
        [
            feature(point(0, 0), ref="A1", nom=86000.0, cp="86000.000000", note=None),
            feature(point(5, 0), ref="A2", nom=None, cp=86000.0, note=""),
        ],
    )
    report = geodata_import(
        community=community, path=path, into="assets", category="bench", external_id="ref"
    )
    assert report.ok, report.lines()
    first, second = Asset.objects.get(external_id="A1"), Asset.objects.get(external_id="A2")
    assert first.name == "86000"
    # No trailing ".000000" whichever type GDAL gave the column.
    assert str(first.attributes["cp"]) == "86000" and first.attributes["note"] is None
    assert second.name == ""  # null name: empty, not "None"
    assert second.attributes["cp"] == 86000


def test_empty_zone_names_get_a_name(community, tmp_path):
    path = write_layer(
        tmp_path / "quartiers.gpkg",
        [{"code": "Z1", "nom": ""}, {"code": "Z2", "nom": None}],
        [l93_square(0, 0, 100), l93_square(400, 0, 100)],
        2154,
        layer="quartiers",
    )
    report = geodata_import(community=community, path=path, into="zones", external_id="code")
    assert report.ok, report.lines()
    assert sorted(Zone.objects.values_list("name", flat=True)) == ["Z1", "Z2"]
    assert any("empty name" in line for line in report.lines())


def test_invalid_polygon_is_repaired_with_makevalid(community, tmp_path):
    x, y = l93()
    bowtie = Polygon([(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100), (x, y)])
    path = write_layer(tmp_path / "z.gpkg", [{"nom": "Noeud"}], [bowtie], 2154, layer="z")
    report = geodata_import(community=community, path=path, into="zones")
    assert report.ok, report.lines()
    assert report.repaired == 1
    assert "feature #0: invalid geometry (Self-intersection" in report.lines()[0]
    zone = Zone.objects.get()
    assert zone.geom.valid
    assert abs(zone.geom.area - 5000) < 1  # two triangles of 50 m × 100 m / 2… = 5,000 m²


def test_unrepairable_geometry_is_an_error(community, tmp_path):
    x, y = l93()
    flat = Polygon([(x, y), (x + 100, y), (x + 200, y), (x, y)])  # collapses to a line
    good = l93_square(300, 0, 50)
    path = write_layer(
        tmp_path / "z.gpkg",
        [{"nom": "Plat", "id": "p"}, {"nom": "Bon", "id": "b"}],
        [flat, good],
        2154,
        layer="z",
    )
    report = geodata_import(community=community, path=path, into="zones", external_id="id")
    assert not report.ok
    assert report.lines()[0].startswith("[error] z.gpkg: feature #0 (id p): invalid geometry")
    assert "cannot repair" in report.lines()[0]
    assert Zone.objects.count() == 0  # the good one is not written either


def test_features_outside_the_territory_are_reported_not_stored(community, bench, tmp_path):
    path = write_geojson(
        tmp_path / "bancs.geojson",
        [feature(point(0, 0), ref="in"), feature(point(*FAR), ref="far")],
    )
    report = geodata_import(
        community=community, path=path, into="assets", category="bench", external_id="ref"
    )
    assert report.ok
    assert (report.created, report.skipped) == (1, 1)
    assert "bancs.geojson: feature #1 (id far): outside the community's territory" in report.lines()[0]
    assert list(Asset.objects.values_list("external_id", flat=True)) == ["in"]


def test_mixed_geometry_types(community, bench, tmp_path):
    path = write_geojson(
        tmp_path / "melange.geojson",
        [
            feature(point(0, 0)),
            feature(point(10, 0)),
            feature({"type": "LineString", "coordinates": [lonlat(0, 0), lonlat(10, 10)]}),
        ],
    )
    report = geodata_import(community=community, path=path, into="assets", category="bench")
    assert not report.ok
    assert "mixed geometry types (LineString ×1, Point ×2)" in report.lines()[0]
    assert "first line is feature #2" in report.lines()[0]
    assert Asset.objects.count() == 0


def test_points_cannot_become_zones(community, tmp_path):
    path = write_geojson(tmp_path / "p.geojson", [feature(point(0, 0), nom="x")])
    report = geodata_import(community=community, path=path, into="zones")
    assert "zones need polygon geometries, the layer has Point" in report.lines()[0]


def test_missing_columns_are_named(community, bench, tmp_path):
    path = write_geojson(tmp_path / "bancs.geojson", [feature(point(0, 0), nom="x")])
    report = geodata_import(
        community=community, path=path, into="assets", category="bench", mapping={"name": "libelle"}
    )
    assert "missing column 'libelle' for field 'name' (columns: nom)" in report.lines()[0]
    report = geodata_import(
        community=community, path=path, into="assets", category="bench", external_id="gid"
    )
    assert "missing column 'gid' for the external id" in report.lines()[0]
    report = geodata_import(community=community, path=path, into="assets", category="chairs")
    assert "unknown category 'chairs' (codes: bench)" in report.lines()[0]
    assert Asset.objects.count() == 0


def test_reimport_with_external_id_updates_instead_of_duplicating(community, bench, tmp_path):
    features = [feature(point(i * 10, 0), ref=f"B{i}", nom=f"Banc {i}") for i in range(3)]
    path = write_geojson(tmp_path / "bancs.geojson", features)
    first = geodata_import(community=community, path=path, into="assets", category="bench", external_id="ref")
    assert (first.created, first.updated) == (3, 0)
    features[0]["properties"]["nom"] = "Banc renommé"
    features[1]["geometry"] = point(500, 500)
    write_geojson(path, features)
    again = geodata_import(community=community, path=path, into="assets", category="bench", external_id="ref")
    assert (again.created, again.updated) == (0, 3)
    assert Asset.objects.count() == 3
    assert Asset.objects.get(external_id="B0").name == "Banc renommé"
    assert Asset.objects.get(external_id="B1").geom.distance(l93_point_geos(500, 500)) < 0.01


def l93_point_geos(dx, dy):
    from django.contrib.gis.geos import Point as GEOSPoint

    return GEOSPoint(*l93(dx, dy), srid=2154)


def test_duplicate_external_ids_in_one_file(community, bench, tmp_path):
    path = write_geojson(
        tmp_path / "d.geojson", [feature(point(0, 0), ref="X"), feature(point(9, 0), ref="X")]
    )
    report = geodata_import(
        community=community, path=path, into="assets", category="bench", external_id="ref"
    )
    assert "feature #1 (id X): external id already used by feature #0" in report.lines()[0]


def test_all_or_nothing(community, tag, tmp_path):
    """One bad value in the last feature: nothing of the file is written."""
    features = [feature(point(i, 0), ref=f"R{i}", priorite=2) for i in range(50)]
    features[-1]["properties"]["priorite"] = 7
    path = write_geojson(tmp_path / "signalements.geojson", features)
    report = geodata_import(community=community, path=path, into="reports", category="tag", external_id="ref")
    assert not report.ok
    assert report.lines() == [
        "[error] signalements.geojson: feature #49 (id R49): column 'priorite' → priority: 7 is outside 1–3"
    ]
    assert Report.objects.count() == 0


def test_all_or_nothing_keeps_existing_rows(community, bench, tmp_path):
    AssetFactory(community=community, category=bench, external_id="B0", name="Avant")
    x, y = l93()
    flat = Polygon([(x, y), (x + 100, y), (x + 200, y), (x, y)])
    path = write_layer(
        tmp_path / "a.gpkg",
        [{"ref": "B0", "nom": "Après"}, {"ref": "B1", "nom": "Plat"}],
        [l93_square(0, 0, 5), flat],
        2154,
        layer="a",
    )
    report = geodata_import(
        community=community, path=path, into="assets", category="bench", external_id="ref"
    )
    assert not report.ok
    assert Asset.objects.get().name == "Avant"


def test_dry_run_writes_nothing_and_reports_the_same(community, bench, tmp_path):
    path = write_geojson(
        tmp_path / "b.geojson", [feature(point(0, 0), ref="a"), feature(point(*FAR), ref="far")]
    )
    dry = geodata_import(
        community=community, path=path, into="assets", category="bench", external_id="ref", dry_run=True
    )
    assert Asset.objects.count() == 0
    real = geodata_import(community=community, path=path, into="assets", category="bench", external_id="ref")
    assert dry.lines() == real.lines()
    assert (dry.total, dry.skipped) == (real.total, real.skipped) == (2, 1)


def test_reports_with_dates_status_and_category_column(community, tag, tmp_path):
    CategoryFactory(community=community, code="depot", name="Dépôt sauvage")
    path = tmp_path / "citoyens.csv"
    lon, lat = lonlat(20, 20)
    path.write_text(
        "id;categorie;statut;date;description;lon;lat\n"
        f"c1;tag;accepted;05/03/2024 10:12;Tag rue Carnot;{lon};{lat}\n"
        f"c2;Dépôt sauvage;;2024-03-06T08:00:00+01:00;;{lon};{lat}\n",
        encoding="utf-8",
    )
    report = geodata_import(community=community, path=path, into="reports", external_id="id")
    assert report.ok, report.lines()
    c1, c2 = Report.objects.get(external_id="c1"), Report.objects.get(external_id="c2")
    assert (c1.category.code, c1.status, c1.description) == ("tag", "accepted", "Tag rue Carnot")
    assert (
        c1.reported_at.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%d/%m/%Y %H:%M")
        == "05/03/2024 10:12"
    )
    assert (c2.category.code, c2.status) == ("depot", "new")


def test_interventions_with_surface_and_dates(community, tag, tmp_path):
    path = write_layer(
        tmp_path / "interventions.gpkg",
        [
            {
                "ref": "i1",
                "surface": 2.5,
                "methode": "hydro",
                "debut": "2024-03-05 09:00",
                "fin": "2024-03-05 09:40",
                "statut": "done",
            },
            {"ref": "i2", "surface": None, "methode": None, "debut": None, "fin": None, "statut": None},
        ],
        [l93_point(0, 0), l93_point(30, 0)],
        2154,
        layer="interventions",
    )
    report = geodata_import(
        community=community, path=path, into="interventions", category="tag", external_id="ref"
    )
    assert report.ok, report.lines()
    done = Intervention.objects.get(external_id="i1")
    assert (float(done.surface_m2), done.method, done.status) == (2.5, "hydro", "done")
    assert (done.ended_at - done.started_at).total_seconds() == 40 * 60
    assert Intervention.objects.get(external_id="i2").status == "todo"


def test_command_reports_file_feature_and_problem(community, bench, tmp_path, capsys):
    path = write_geojson(
        tmp_path / "mix.geojson", [feature(point(0, 0), ref="ok"), feature(point(*FAR), ref="far")]
    )
    call_command(
        "import_geodata",
        str(path),
        community="poitiers",
        into="assets",
        category="bench",
        external_id="ref",
        verbosity=0,
    )
    out = capsys.readouterr().out
    assert "[skipped] mix.geojson: feature #1 (id far): outside the community's territory" in out
    assert "1 created" in out
    bad = write_layer(tmp_path / "pts.gpkg", [{"n": 1}], [Point(*l93())], 2154, layer="p")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_geodata", str(bad), community="poitiers", into="zones", verbosity=0)
    assert "zones need polygon geometries" in capsys.readouterr().out
    with pytest.raises(CommandError, match="unknown community 'nowhere'"):
        call_command("import_geodata", str(bad), community="nowhere", into="zones")


def test_command_dry_run(community, bench, tmp_path, capsys):
    path = write_geojson(tmp_path / "b.geojson", [feature(point(0, 0))])
    call_command(
        "import_geodata",
        str(path),
        "--dry-run",
        community="poitiers",
        into="assets",
        category="bench",
        verbosity=0,
    )
    assert "dry run, nothing written" in capsys.readouterr().out
    assert Asset.objects.count() == 0


def test_map_option_in_command(community, bench, tmp_path):
    path = write_layer(
        tmp_path / "b.gpkg", [{"LIB": "Banc X", "GID": 7.0}], [l93_point(0, 0)], 2154, layer="b"
    )
    call_command(
        "import_geodata",
        str(path),
        community="poitiers",
        into="assets",
        category="bench",
        map=["name=LIB"],
        external_id="GID",
        verbosity=0,
    )
    asset = Asset.objects.get()
    assert (asset.name, asset.external_id) == ("Banc X", "7")


def test_points_into_a_category_of_lines_are_refused(community, tmp_path):
    """One geometry type per asset category (each is an OGC/WFS layer): a stray point among
    walls made `ogr2ogr` write a non-conformant GeoPackage."""
    walls = AssetCategoryFactory(community=community, code="wall", name="Murs", kind="surface")
    x, y = l93()
    AssetFactory(community=community, category=walls, geom=LineString((x, y), (x + 8, y), srid=2154))
    path = write_geojson(
        tmp_path / "murs.geojson", [feature(point(0, 0), ref="M1"), feature(point(5, 0), ref="M2")]
    )
    report = geodata_import(community=community, path=path, into="assets", category="wall", external_id="ref")
    assert not report.ok
    assert "category 'wall' holds line geometries and this layer has points" in "\n".join(report.lines())
    assert Asset.objects.filter(category=walls).count() == 1
    # A column of codes naming the category is checked the same way.
    mapped = write_geojson(tmp_path / "mixte.geojson", [feature(point(0, 0), ref="M3", cat="WALL")])
    report = geodata_import(
        community=community, path=mapped, into="assets", mapping={"category": "cat"}, external_id="ref"
    )
    assert not report.ok and "category 'wall'" in "\n".join(report.lines())


def test_a_geometry_geos_refuses_is_skipped_and_named_not_the_whole_layer(community, tmp_path):
    # An unclosed ring (hand-edited or cut GeoJSON): GDAL passes it on, shapely refuses it, and
    # pyogrio failed the whole layer with no feature named.
    square = [lonlat(0, 0), lonlat(500, 0), lonlat(500, 500), lonlat(0, 500)]
    path = write_geojson(
        tmp_path / "quartiers.geojson",
        [
            feature({"type": "Polygon", "coordinates": [[*square, square[0]]]}, nom="Centre"),
            feature({"type": "Polygon", "coordinates": [square]}, nom="Ouvert"),
        ],
    )
    report = geodata_import(community=community, path=path, into="zones")
    assert report.ok and (report.created, report.skipped) == (1, 1), report.lines()
    (problem,) = report.problems
    assert problem.index == 1 and "unreadable geometry" in problem.problem
    assert "closed linestring" in problem.problem
    assert list(Zone.objects.values_list("name", flat=True)) == ["Centre"]


def test_a_geometry_collection_of_polygons_is_read_as_a_multipolygon(community, tmp_path):
    # Overlay and "collect" tools write districts as collections of polygons only.
    def ring(dx):
        square = [lonlat(dx, 0), lonlat(dx + 400, 0), lonlat(dx + 400, 400), lonlat(dx, 400)]
        return {"type": "Polygon", "coordinates": [[*square, square[0]]]}

    nested = {
        "type": "GeometryCollection",
        "geometries": [ring(0), {"type": "MultiPolygon", "coordinates": []}],
    }
    collection = {"type": "GeometryCollection", "geometries": [ring(1000), ring(2000), nested]}
    mixed = {"type": "GeometryCollection", "geometries": [ring(3000), point(3000, 0)]}
    path = write_geojson(
        tmp_path / "secteurs.geojson",
        [feature(collection, nom="Nord"), feature(ring(-2000), nom="Sud")],
    )
    report = geodata_import(community=community, path=path, into="zones")
    assert report.ok and report.created == 2, report.lines()
    assert report.geometry_types == ["MultiPolygon", "Polygon"]
    assert any("1 GeometryCollection(s)" in note for note in report.notes)
    assert len(Zone.objects.get(name="Nord").geom) == 3  # its three polygons
    # A collection mixing polygons and points is still refused.
    path = write_geojson(
        tmp_path / "mixte.geojson", [feature(ring(-2000), nom="Sud"), feature(mixed, nom="X")]
    )
    report = geodata_import(community=community, path=path, into="zones")
    assert not report.ok and "GeometryCollection ×1" in report.lines()[0]


def test_choices_given_by_their_french_or_english_label(community, tag, tmp_path):
    # A French registry writes "Nouveau", "Mur", "Hydrogommage", not the codes new, wall, hydro.
    lon, lat = lonlat(10, 20)
    path = tmp_path / "signalements.csv"
    path.write_text(
        "ref;lon;lat;statut;support\n"
        f"S1;{lon};{lat};Nouveau;Mur\n"
        f"S2;{lon};{lat};ACCEPTÉ;rideau metallique / volet\n"
        f"S3;{lon};{lat};Rejected;Street furniture\n"
        f"S4;{lon};{lat};duplicate;door\n",
        encoding="utf-8",
    )
    report = geodata_import(community=community, path=path, into="reports", category="tag", external_id="ref")
    assert report.ok, report.lines()
    assert sorted(Report.objects.values_list("external_id", "status", "support")) == [
        ("S1", "new", "wall"),
        ("S2", "accepted", "shutter"),
        ("S3", "rejected", "furniture"),
        ("S4", "duplicate", "door"),
    ]
    path.write_text(f"ref;lon;lat;methode\nI1;{lon};{lat};Hydrogommage\nI2;{lon};{lat};karcher\n")
    report = geodata_import(
        community=community, path=path, into="interventions", category="tag", external_id="ref"
    )
    assert report.lines() == [
        "[error] signalements.csv: feature #1 (id I2): column 'methode' → method: "
        "'karcher' is not one of hydro, washing, painting, other"
    ]


def test_a_coordinate_typo_names_its_feature(community, bench, tmp_path):
    # One latitude typed 4373 among lon/lat rows: PROJ failed the whole file, no feature named.
    lon, lat = lonlat(10, 20)
    path = tmp_path / "bancs.csv"
    path.write_text(f"nom;lon;lat\nBanc;{lon};{lat}\nAbribus;{lon};4373\n", encoding="utf-8")
    report = geodata_import(community=community, path=path, into="assets", category="bench")
    assert report.lines() == [
        f"[error] bancs.csv: feature #1: coordinates {lon:g}, 4373 are not a longitude and a latitude"
    ]
    assert Asset.objects.count() == 0


def test_a_file_with_nothing_inside_the_territory_is_an_error_not_an_empty_success(community, tmp_path):
    # Toulouse's real districts fed to another community (or read in a wrong CRS): the import
    # said "0 created, 20 skipped" and succeeded; streets and addresses already refuse it.
    toulouse = real_file("districts/toulouse-quartiers.geojson")
    report = geodata_import(community=community, path=toulouse, into="zones")
    assert not report.ok and report.skipped == 20
    assert report.errors[0].problem == (
        f"none of its 20 features is inside the territory of {community.slug}: is its CRS right (--srid)?"
    )
    assert not Zone.objects.exists()
    # A dry run (the web preview) counts them, and the preview says they fall outside.
    report = geodata_import(community=community, path=toulouse, into="zones", dry_run=True)
    assert report.ok and report.skipped == 20
