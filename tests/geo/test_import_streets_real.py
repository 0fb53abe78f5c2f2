"""Street networks as real files carry them: the Monaco OSM extract (../shared/data/osm), the
same in .osm.gz/.osm.bz2, an extract cut by a bounding box (ways whose nodes are missing), and
line layers whose lines have different vertex counts, Z or M, MultiLineStrings, other CRSs.

Real ways have different numbers of vertices: building the segments' geometries crashed on
every real file ("inhomogeneous shape"), never on generated two-vertex streets.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.db.models import Sum

from geo.io import osm_nodes
from geo.io.streets import read_streets, split_ways
from geo.models import StreetSegment
from geo.services.streets import reading_window, street_network_import
from tests.factories import CommunityFactory
from tests.geo.geodata_files import TO_3857, TO_WGS84, l93, write_layer

pytestmark = pytest.mark.django_db

MONACO_PBF = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm" / "monaco-2015.osm.pbf"
if not MONACO_PBF.exists():  # run from a worktree: ../shared is beside the checkout's parent
    MONACO_PBF = Path("/work/shared/data/osm/monaco-2015.osm.pbf")
MONACO_BBOX = (7.4092, 43.7234, 7.4486, 43.7517)  # README of shared/data


@pytest.fixture
def monaco(db):
    box = Polygon.from_bbox(MONACO_BBOX)
    box.srid = 4326
    box.transform(2154)
    return CommunityFactory(slug="monaco", name="Monaco", territory=MultiPolygon(box, srid=2154))


def copy_osm(src: Path, dst: Path, keep_node=lambda node: True) -> Path:
    """Rewrite an OSM file (format from the suffix: .osm.gz, .osm.bz2…), dropping some nodes."""
    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            if isinstance(obj, osmium.osm.Node) and not keep_node(obj):
                continue
            writer.add(obj)
    return dst


def test_the_monaco_extract_imports(monaco):
    report = street_network_import(community=monaco, path=MONACO_PBF)
    assert report.ways >= 1258  # highway ways, README
    assert report.broken_ways == 0
    assert report.kept == report.segments > report.ways  # split at intersections, all inside
    assert StreetSegment.objects.filter(community=monaco).count() == report.kept
    # Ways of 2 to dozens of vertices: segment lengths vary, and the total is Monaco's ~100 km.
    counts = {len(s.geom.coords) for s in StreetSegment.objects.filter(community=monaco)[:500]}
    assert len(counts) > 5
    assert 50 < report.length_km < 300
    named = StreetSegment.objects.filter(community=monaco, name="Avenue Princesse Grace")
    assert named.exists()


@pytest.mark.parametrize("suffix", [".osm", ".osm.gz", ".osm.bz2"])
def test_osm_xml_compressed_or_not(monaco, tmp_path, suffix):
    path = copy_osm(MONACO_PBF, tmp_path / f"monaco{suffix}")
    report = street_network_import(community=monaco, path=path)
    reference = street_network_import(community=monaco, path=MONACO_PBF, dry_run=True)
    assert (report.ways, report.segments, report.kept) == (reference.ways, reference.segments, reference.kept)


def test_an_extract_cut_by_a_bounding_box_clips_its_ways(monaco, tmp_path):
    """Ways crossing the cut keep their nodes inside; their nodes outside are not in the file."""
    west = 7.42
    path = copy_osm(MONACO_PBF, tmp_path / "cut.osm.pbf", keep_node=lambda n: n.location.lon < west)
    report = street_network_import(community=monaco, path=path)
    assert report.broken_ways > 10
    assert "cut by the extract's edge" in report.summary()
    assert report.kept > 100
    coords = np.concatenate([s.geom.coords for s in StreetSegment.objects.filter(community=monaco)])
    east = TO_WGS84.transform(coords[:, 0], coords[:, 1])[0].max()
    assert east < west + 1e-6  # nothing invented beyond the cut


def test_a_way_with_no_located_node_pair_is_dropped_and_counted(monaco, tmp_path):
    path = copy_osm(MONACO_PBF, tmp_path / "none.osm", keep_node=lambda n: False)
    out = tmp_path / "out.txt"
    with pytest.raises(Exception, match="no street inside the territory"), out.open("w") as stdout:
        call_command("import_streets", str(path), community="monaco", stdout=stdout)
    assert not StreetSegment.objects.filter(community=monaco).exists()


def _ragged_lines():
    """Lines of 2, 3, 5 and 9 vertices (Lambert-93), one MultiLineString of two parts."""
    a = shapely.LineString([l93(0, 0), l93(100, 0)])
    b = shapely.LineString([l93(100, 0), l93(150, 20), l93(200, 0)])
    c = shapely.LineString([l93(200, 0), *[l93(200 + 10 * i, 5 * (i % 2)) for i in range(1, 4)], l93(300, 0)])
    d = shapely.LineString([l93(300, 0), *[l93(300 + 10 * i, 3 * (i % 2)) for i in range(1, 8)], l93(400, 0)])
    multi = shapely.MultiLineString([[l93(0, 0), l93(0, 100)], [l93(0, 100), l93(50, 150), l93(0, 200)]])
    return [a, b, c, d, multi]


@pytest.mark.parametrize(
    ("suffix", "crs"), [(".geojson", 4326), (".gpkg", 3857), (".shp", 2154)], ids=["geojson", "gpkg", "shp"]
)
def test_line_layers_with_ragged_lines_and_multilines_in_any_crs(community, tmp_path, suffix, crs):
    lines = _ragged_lines()
    if crs != 2154:
        transformer = TO_WGS84 if crs == 4326 else TO_3857
        lines = [
            shapely.transform(
                line, lambda xy, t=transformer: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
            )
            for line in lines
        ]
    records = [{"highway": "residential", "nom": f"Rue {i}"} for i in range(len(lines))]
    path = write_layer(tmp_path / f"voies{suffix}", records, lines, crs)
    report = street_network_import(community=community, path=path)
    assert report.segments == report.kept == 6  # 4 lines + 2 parts of the MultiLineString
    total = StreetSegment.objects.filter(community=community).aggregate(m=Sum("length_m"))["m"]
    expected = sum(line.length for line in _ragged_lines())
    assert abs(total - expected) < expected * 0.002  # ground metres, whatever the file's CRS


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="gdal-bin (scripts/bootstrap.sh) writes M")
@pytest.mark.parametrize(("dim", "suffix"), [("XYZ", ".gpkg"), ("XYM", ".gpkg"), ("XYZM", ".shp")])
def test_line_layers_with_z_or_m(community, tmp_path, dim, suffix):
    """A Lambert-93 PolyLineZ Shapefile (and M variants) as road registries export them."""
    flat = write_layer(
        tmp_path / "flat.gpkg",
        [{"highway": "primary", "nom": f"Voie {i}"} for i in range(5)],
        [shapely.force_3d(line, 42.0) for line in _ragged_lines()],
        2154,
    )
    path = tmp_path / f"voies-{dim}{suffix}"
    subprocess.run(["ogr2ogr", "-dim", dim, str(path), str(flat)], check=True, capture_output=True)
    report = street_network_import(community=community, path=path)
    assert report.segments == report.kept == 6


@pytest.mark.parametrize("spill_chunk", [osm_nodes.SPILL_CHUNK, 1000], ids=["in-memory", "spilled"])
def test_a_territory_smaller_than_the_file_reads_only_its_streets(monkeypatch, spill_chunk):
    """A regional file imports one commune: the ways far from the territory are skipped while
    reading (counted), and the segments kept are exactly those a whole-file read would keep,
    including the ends of the ways that leave the reading window (nodes outside the window
    are set aside, in temporary files by chunks on a large file)."""
    monkeypatch.setattr(osm_nodes, "SPILL_CHUNK", spill_chunk)
    west, south, east, north = 7.4092, 43.7234, 7.4150, 43.7300  # ~470 m × 730 m, Monaco's west
    box = Polygon.from_bbox((west, south, east, north))
    box.srid = 4326
    box.transform(2154)
    commune = CommunityFactory(slug="fontvieille", territory=MultiPolygon(box, srid=2154))
    report = street_network_import(community=commune, path=MONACO_PBF)
    assert report.skipped_outside > 300  # the east of Monaco, > 1 km from the territory
    assert f"({report.skipped_outside} outside the territory, skipped)" in report.summary()
    assert report.ways >= 1258 and report.broken_ways == 0

    whole = list(split_ways(read_streets(MONACO_PBF).ways))
    shape = shapely.from_wkt(commune.territory.wkt)
    expected = {
        (s.external_id, s.coords.round(2).tobytes())
        for s in whole
        if shapely.intersects(shapely.LineString(s.coords), shape)
    }
    got = {
        (s.external_id, np.array(s.geom.coords).round(2).tobytes())
        for s in StreetSegment.objects.filter(community=commune)
    }
    assert got == expected and report.kept == len(got) > 50
    # Ways leaving the reading window are read whole: their nodes beyond it come from the
    # nodes set aside (not clipped as if the file ended there).
    window = reading_window(commune.territory)
    read = read_streets(MONACO_PBF, window=window)
    assert read.clipped == 0 and read.outside == report.skipped_outside
    far = [w for w in read.ways if TO_WGS84.transform(*w.coords.T)[0].max() > window[2]]
    assert far
