"""Districts: Toulouse's real "quartiers" (../shared/data/districts) into zones; Shapefiles
without .prj (a clear error asking for --srid), and DBF text in Latin-1 or UTF-8 with accents."""

import zipfile
from io import StringIO
from pathlib import Path

import pyogrio
import pytest
import shapely
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.core.management.base import CommandError

from geo.models import Zone
from geo.services.imports import geodata_import
from tests.factories import CommunityFactory
from tests.geo.geodata_files import l93

pytestmark = pytest.mark.django_db

SHARED = next(
    (
        p
        for p in (Path(__file__).resolve().parents[3] / "shared", Path("/work/shared"))
        if (p / "data").exists()
    ),
    Path("/work/shared"),
)
TOULOUSE = SHARED / "data" / "districts" / "toulouse-quartiers.geojson"


@pytest.fixture
def toulouse(db):
    box = Polygon.from_bbox((1.35, 43.53, 1.52, 43.67))  # the commune and a margin
    box.srid = 4326
    box.transform(2154)
    return CommunityFactory(slug="toulouse", name="Toulouse", territory=MultiPolygon(box, srid=2154))


def test_toulouses_districts_become_zones(toulouse):
    out = StringIO()
    call_command("import_geodata", str(TOULOUSE), "--community", "toulouse", "--into", "zones", stdout=out)
    zones = Zone.objects.filter(community=toulouse)
    assert zones.count() == 20, out.getvalue()
    area_km2 = sum(z.geom.area for z in zones) / 1e6  # Lambert-93 metres
    assert 100 < area_km2 < 130  # Toulouse is 118 km²
    names = " ".join(z.name for z in zones)
    assert "Croix-de-Pierre / Route d'Espagne" in names  # the nom_quartier column
    assert any(ch in names for ch in "éèô"), names  # French names with their accents
    # Re-import: a file of ours with external ids updates instead of duplicating.
    call_command(
        "import_geodata", str(TOULOUSE), "--community", "toulouse", "--into", "zones", stdout=StringIO()
    )
    assert Zone.objects.filter(community=toulouse).count() in (20, 40)


def _districts_shapefile(folder: Path, encoding: str) -> Path:
    import geopandas as gpd

    squares = [shapely.box(*l93(-1000, -1000), *l93(0, 0)), shapely.box(*l93(0, 0), *l93(1000, 1000))]
    frame = gpd.GeoDataFrame(
        {"nom": ["Quartier Saint-Éloi", "Prés-Vérine et Côte"]}, geometry=squares, crs="EPSG:2154"
    )
    folder.mkdir()
    path = folder / "quartiers.shp"
    pyogrio.write_dataframe(frame, path, encoding=encoding)
    return path


@pytest.mark.parametrize(
    ("encoding", "keep_cpg", "ldid", "zipped"),
    [
        ("latin1", True, None, False),  # .cpg LATIN1
        ("latin1", False, None, False),  # nothing says it: GDAL's Latin-1 default
        ("cp1252", False, 0x57, False),  # the DBF language byte says ANSI 1252
        ("UTF-8", False, None, False),  # UTF-8 with no .cpg: was read as Latin-1 ("Ã‰")
        ("UTF-8", False, None, True),  # the same sent zipped, as most are: was still "Ã‰"
        ("latin1", False, None, True),
    ],
)
def test_dbf_text_keeps_its_accents(community, tmp_path, encoding, keep_cpg, ldid, zipped):
    path = _districts_shapefile(tmp_path / "shp", encoding)
    if not keep_cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    if ldid is not None:
        dbf = bytearray(path.with_suffix(".dbf").read_bytes())
        dbf[29] = ldid
        path.with_suffix(".dbf").write_bytes(bytes(dbf))
    if zipped:
        archive = tmp_path / "quartiers.zip"
        with zipfile.ZipFile(archive, "w") as out:
            for part in sorted(path.parent.iterdir()):
                out.write(part, part.name)
        path = archive
    report = geodata_import(community=community, path=path, into="zones")
    assert report.ok, report.lines()
    assert set(Zone.objects.values_list("name", flat=True)) == {"Quartier Saint-Éloi", "Prés-Vérine et Côte"}


def test_a_shapefile_without_prj_asks_for_srid(community, tmp_path):
    path = _districts_shapefile(tmp_path / "shp", "UTF-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_geodata", str(path), "--community", community.slug, "--into", "zones", stdout=StringIO()
        )
    assert "--srid" in str(caught.value) and "2154" in str(caught.value)
    assert not Zone.objects.exists()
    call_command(
        "import_geodata", str(path), "--community", community.slug, "--into", "zones", "--srid", "2154",
        stdout=StringIO(),
    )  # fmt: skip
    assert Zone.objects.count() == 2
