"""Fuzz the geodata importer with malformed files (hypothesis).

Whatever the bytes, `geodata_import` either reports what is wrong (each error naming the
file and a reason) or raises ImportFileError, never anything else; a report with errors
writes nothing; a clean report wrote exactly what it counts. `import_geodata` turns a bad
file into a CommandError naming the file.
"""

import io
import json
import math
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.io.errors import ImportFileError
from geo.models import Asset
from geo.services.imports import geodata_import
from tests.factories import AssetCategoryFactory

pytestmark = pytest.mark.django_db

# database=None: no .hypothesis/ directory in the work tree; each run draws afresh.
FUZZ = settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))

# --- strategies ----------------------------------------------------------------------------

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
anything = st.recursive(
    leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
# Around Poitiers (lon/lat): most coordinates are plausible, so the importer gets past parsing.
lonlat = st.tuples(st.floats(0.2, 0.5), st.floats(46.5, 46.7)).map(list)
coordinate = st.one_of(lonlat, lonlat, anything)
geometry = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Point", "LineString", "Polygon", "MultiPolygon", "Bogus", ""]),
            "coordinates": st.one_of(
                coordinate,
                st.lists(coordinate, max_size=5),
                st.lists(st.lists(coordinate, max_size=5), max_size=2),
            ),
        }
    ),
    st.none(),
    anything,
)
feature = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "Feature", "feature", ""]),
        "geometry": geometry,
        "properties": st.one_of(st.dictionaries(st.sampled_from(["name", "ref", "x", ""]), leaf), anything),
    }
)
geojson_doc = st.one_of(
    st.fixed_dictionaries({"type": st.just("FeatureCollection"), "features": st.lists(feature, max_size=5)}),
    st.lists(feature, max_size=4),
    anything,
)


@st.composite
def geojson_bytes(draw: st.DrawFn) -> bytes:
    text = json.dumps(draw(geojson_doc), allow_nan=True)  # NaN/Infinity tokens: not JSON either
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # a truncated upload
    return text.encode()


csv_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0.34", "46.58", "", "POINT (0.34 46.58)", "POINT(", "nan", '"']),
    st.text(max_size=10),
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from([["lon", "lat", "name"], ["x", "y"], ["wkt", "ref"], ["lon;lat"], []]))
    rows = draw(st.lists(st.lists(csv_cell, max_size=4), max_size=6))
    text = "\n".join(",".join(r) for r in [header, *rows])
    return text.encode(draw(st.sampled_from(["utf-8", "latin-1", "utf-16"])), errors="replace")


@st.composite
def zip_bytes(draw: st.DrawFn) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in draw(st.lists(st.sampled_from(["a.shp", "a.dbf", "a.shx", "a.prj", "b.geojson", "c.txt"]),
                                  max_size=4, unique=True)):  # fmt: skip
            body = draw(geojson_bytes()) if name.endswith(".geojson") else draw(st.binary(max_size=300))
            archive.writestr(name, body)
    data = out.getvalue()
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


def _gpkg_bytes() -> bytes:
    """A real one-feature GeoPackage, to be cut or bit-flipped."""
    import geopandas as gpd
    from shapely.geometry import Point

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.gpkg"
        gpd.GeoDataFrame({"name": ["banc"]}, geometry=[Point(0.34, 46.58)], crs=4326).to_file(path)
        return path.read_bytes()


GPKG = _gpkg_bytes()


@st.composite
def gpkg_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(GPKG)
    for _ in range(draw(st.integers(0, 20))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))]) if draw(st.booleans()) else bytes(data)


malformed_file = st.one_of(
    st.tuples(st.sampled_from([".geojson", ".json"]), geojson_bytes()),
    st.tuples(st.just(".csv"), csv_bytes()),
    st.tuples(st.just(".zip"), zip_bytes()),
    st.tuples(st.just(".gpkg"), gpkg_bytes()),
    st.tuples(st.sampled_from([".geojson", ".csv", ".gpkg", ".zip", ".kml"]), st.binary(max_size=600)),
)

# --- tests ---------------------------------------------------------------------------------


@pytest.fixture
def bench_category(community):
    return AssetCategoryFactory(community=community, code="bench", name="Banc")


@FUZZ
@given(malformed_file)
def test_importer_reports_or_refuses_and_writes_nothing_when_wrong(community, bench_category, file):
    suffix, data = file
    before = Asset.objects.count()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            report = geodata_import(community=community, path=path, into="assets", category="bench")
        except ImportFileError as exc:
            assert exc.file == path.name and exc.problem
            assert Asset.objects.count() == before
            return
    if report.ok:
        assert Asset.objects.count() == before + report.created
        assert all(math.isfinite(c) for a in Asset.objects.all() for c in a.geom.coords)
    else:
        assert Asset.objects.count() == before, report.lines()
        for line in report.lines():
            assert f"fuzz{suffix}" in line and line.split(":", 1)[1].strip(), line


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(malformed_file)
def test_import_command_names_the_file(community, bench_category, file):
    suffix, data = file
    before = Asset.objects.count()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            call_command("import_geodata", str(path), community=community.slug, into="assets",
                         category="bench", stdout=io.StringIO())  # fmt: skip
        except CommandError as exc:
            assert f"fuzz{suffix}" in str(exc)
            assert Asset.objects.count() == before


def test_the_strategies_reach_the_writer(community, bench_category, tmp_path):
    """A well-formed draw of the same shapes imports: the fuzzing is not all rejected at the door."""
    path = tmp_path / "ok.geojson"
    doc = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.34, 46.58]},
                         "properties": {"name": "banc"}}]}  # fmt: skip
    path.write_text(json.dumps(doc))
    report = geodata_import(community=community, path=path, into="assets", category="bench")
    assert report.ok and report.created == 1, report.lines()
