"""Read a community's geodata file as it is into a GeoDataFrame (2D, CRS known).

GeoJSON (FeatureCollection or a bare array of Features; a legacy `crs` member is honoured by
GDAL), GeoPackage (pick the layer), Shapefile (.shp, a folder or a .zip; CRS from .prj), KML
and CSV (see geo/io/csv.py) go through pyogrio/GDAL. Z and M are dropped on purpose: storage
is 2D. A GeometryCollection of one geometry type is read as its Multi* and a geometry GEOS
refuses is set aside as a row problem (geo/io/geometries.py). Problems with the file itself
raise ImportFileError naming the file.
"""

import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from pyproj import CRS
from pyproj.exceptions import CRSError

from .csv import read_csv_frame, table_points
from .errors import ImportFileError, Note
from .geometries import collections_unwrapped, read_salvaging
from .sheets import hours_kept

VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".csv", ".txt", ".xlsx", ".ods")
SPREADSHEET_SUFFIXES = (".xlsx", ".ods")  # a sheet is a table: geometry from its columns, as CSV
ZIP_MEMBER = re.compile(r"^/vsizip/(.+?\.zip)/(.+)$", re.IGNORECASE)  # _resolve's GDAL path of a zip member
OSM_SUFFIXES = (".osm", ".pbf", ".osm.pbf")


@dataclass
class Source:
    """What was read: the features, where from, and what was assumed on the way."""

    frame: gpd.GeoDataFrame
    name: str  # file name as the user knows it (for messages)
    layer: str | None
    layers: list[str]
    driver: str
    crs: CRS
    total: int  # features in the layer (may exceed len(frame) when max_features is set)
    notes: list[Note] = field(default_factory=list)
    # Features whose geometry could not even be parsed (CSV): index -> reason.
    row_problems: dict[int, Note] = field(default_factory=dict)

    @property
    def crs_label(self) -> str:
        epsg = self.crs.to_epsg()
        return f"EPSG:{epsg}" if epsg else self.crs.name


def _several_layers(name: str, names: str) -> ImportFileError:
    return ImportFileError(
        name,
        f"several layers ({names}): choose one with --layer",
        _("several layers (%(names)s): choose one in the layer list") % {"names": names},
    )


def _resolve(path: Path, layer: str | None) -> tuple[str, str, str | None]:
    """(GDAL path, kind, layer) for a file, a folder of shapefiles or a zip."""
    if path.is_dir():
        candidates = sorted(p for p in path.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES)
        shapefiles = [p for p in candidates if p.suffix.lower() == ".shp"]
        pick = shapefiles or candidates
        if layer:
            pick = [p for p in pick if p.stem == layer or p.name == layer]
            if not pick:
                names = ", ".join(p.stem for p in (shapefiles or candidates)) or "none"
                raise ImportFileError(
                    path.name,
                    f"unknown layer '{layer}' (layers: {names})",
                    _("unknown layer '%(layer)s' (layers: %(names)s)") % {"layer": layer, "names": names},
                )
            return str(pick[0]), pick[0].suffix.lower(), None
        if not pick:
            raise ImportFileError(
                path.name,
                "the folder holds no Shapefile or other vector file",
                _("the folder holds no Shapefile or other vector file"),
            )
        if len(pick) > 1:
            names = ", ".join(p.stem for p in pick)
            raise _several_layers(path.name, names)
        return str(pick[0]), pick[0].suffix.lower(), None
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = [
                    m
                    for m in archive.namelist()
                    if Path(m).suffix.lower() in VECTOR_SUFFIXES and not Path(m).name.startswith(".")
                ]
        except zipfile.BadZipFile as exc:
            raise ImportFileError(
                path.name, "not a readable zip archive", _("not a readable zip archive")
            ) from exc
        shp_members = [m for m in members if m.lower().endswith(".shp")]
        picked = shp_members or members
        if layer:
            by_name = [m for m in picked if Path(m).stem == layer or Path(m).name == layer]
            if by_name:
                picked, layer = by_name, None
        if not picked:
            raise ImportFileError(
                path.name,
                "the zip archive holds no Shapefile or other vector file",
                _("the zip archive holds no Shapefile or other vector file"),
            )
        if len(picked) > 1:
            names = ", ".join(Path(m).stem for m in picked)
            raise _several_layers(path.name, names)
        return f"/vsizip/{path.resolve()}/{picked[0]}", Path(picked[0]).suffix.lower(), layer
    kind = ".osm.pbf" if path.name.lower().endswith(".osm.pbf") else path.suffix.lower()
    return str(path), kind, layer


def list_layers(path: Path) -> list[str]:
    """Layer names of a multi-layer file (GeoPackage, KML); [] for single-layer sources."""
    gdal_path, kind, _layer = _resolve(path, None)
    # GeoJSON is one layer too: asking GDAL would parse the whole file once more (~3 s for 20 MB).
    if kind in (".csv", ".txt", ".shp", ".pbf", ".osm", ".osm.pbf", ".geojson", ".json"):
        return []
    try:
        return [str(name) for name, _geom in pyogrio.list_layers(gdal_path)]
    except Exception as exc:  # pyogrio raises several GDAL error classes
        raise ImportFileError(
            path.name,
            f"cannot read the file ({exc})",
            _("cannot read the file (%(reason)s)") % {"reason": exc},
        ) from exc


def _bare_feature_array(gdal_path: str) -> list | None:
    """A JSON file that is a bare array of Features (some portals publish that)."""
    if gdal_path.startswith("/vsi"):
        return None
    with open(gdal_path, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"["):
        return None
    try:
        with open(gdal_path, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError: a truncated or mangled file
        raise ImportFileError(
            Path(gdal_path).name,
            f"not valid JSON ({exc})",
            _("not valid JSON (%(reason)s)") % {"reason": exc},
        ) from exc
    return data if isinstance(data, list) else None


def _layers(name: str, gdal_path: str, layer: str | None, kind: str = "layer") -> list[str]:
    """The file's layers (a workbook's sheets); `layer`, when given, must be one of them."""
    try:
        layers = [str(n) for n, _g in pyogrio.list_layers(gdal_path)]
    except Exception as exc:
        reason = _gdal_message(exc, gdal_path)
        raise ImportFileError(
            name,
            f"cannot read the file ({reason})",
            _("cannot read the file: is it a GeoJSON, GeoPackage, zipped Shapefile, CSV or KML? (%(reason)s)")
            % {"reason": reason},
        ) from exc
    if layer and layer not in layers:
        raise ImportFileError(
            name,
            f"unknown {kind} '{layer}' ({kind}s: {', '.join(layers)})",
            _("unknown layer or sheet '%(layer)s' (there are: %(names)s)")
            % {"layer": layer, "names": ", ".join(layers)},
        )
    return layers


def _read_gdal(name: str, gdal_path: str, layer: str | None, max_features: int | None) -> tuple:
    layers = _layers(name, gdal_path, layer)
    if not layer and len(layers) > 1:
        raise _several_layers(name, ", ".join(layers))
    chosen = layer or (layers[0] if layers else None)
    encoding = _dbf_utf8_without_cpg(gdal_path)
    problems: dict[int, Note] = {}
    try:
        info = pyogrio.read_info(gdal_path, layer=chosen, encoding=encoding)
        try:
            frame = pyogrio.read_dataframe(
                gdal_path, layer=chosen, force_2d=True, max_features=max_features, encoding=encoding
            )
        except shapely.errors.GEOSException:
            frame, problems = read_salvaging(gdal_path, chosen, max_features, encoding)
    except Exception as exc:
        reason = _gdal_message(exc, gdal_path)
        raise ImportFileError(
            name,
            f"cannot read layer '{chosen}' ({reason})",
            _("cannot read layer '%(layer)s' (%(reason)s)") % {"layer": chosen, "reason": reason},
        ) from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ImportFileError(
            name,
            f"layer '{chosen}' has no geometry",
            _("layer '%(layer)s' has no geometry") % {"layer": chosen},
        )
    total = int(info.get("features") or len(frame))
    return frame, layers, chosen, str(info.get("driver", "")), total, problems


def _read_sheet(
    name: str, gdal_path: str, layer: str | None, max_features: int | None, notes: list[Note]
) -> tuple:
    """One sheet of an .xlsx/.ods workbook (GDAL's XLSX/ODS drivers) as a plain table.

    The first row is the header. Dates typed as dates stay dates, with their time of day
    (geo/io/sheets.py); text dates (dd/mm/yyyy) and decimal commas are read by the field
    cleaners (geo/io/mapping.py).
    """
    sheets = _layers(name, gdal_path, layer, "sheet")
    if not sheets:
        raise ImportFileError(name, "the workbook has no sheet", _("the workbook has no sheet"))
    chosen = layer or sheets[0]
    if not layer and len(sheets) > 1:
        others = ", ".join(sheets[1:])
        notes.append(
            Note(
                f"sheet '{chosen}' read (others: {others}; choose with --layer)",
                _("Sheet “%(sheet)s” read (others: %(others)s; choose another one in the layer list).")
                % {"sheet": chosen, "others": others},
            )
        )
    read_path = gdal_path
    try:
        with tempfile.TemporaryDirectory(prefix="ronde-sheet-") as folder:
            kept = hours_kept(Path(gdal_path), Path(folder)) if gdal_path.lower().endswith(".xlsx") else None
            read_path = str(kept or gdal_path)
            info = pyogrio.read_info(read_path, layer=chosen, HEADERS="FORCE")
            frame = pyogrio.read_dataframe(
                read_path, layer=chosen, read_geometry=False, max_features=max_features, HEADERS="FORCE"
            )
    except Exception as exc:
        reason = _gdal_message(exc, read_path)
        raise ImportFileError(
            name,
            f"cannot read sheet '{chosen}' ({reason})",
            _("cannot read sheet '%(sheet)s' (%(reason)s)") % {"sheet": chosen, "reason": reason},
        ) from exc
    frame = frame.astype(object).where(frame.notna(), None)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, sheets, chosen, str(info.get("driver", "")), int(info.get("features") or len(frame))


def _dbf_utf8_without_cpg(gdal_path: str) -> str | None:
    """ "UTF-8" for a Shapefile whose DBF is UTF-8 but says nothing (no .cpg, language byte 0).

    GDAL reads a DBF's text by its .cpg, else its language byte (LDID, byte 29), else as
    ISO-8859-1, which is right for the many Latin-1 files and turns a UTF-8 one's "É" into
    "Ã‰". Such a DBF's bytes decode as UTF-8, which Latin-1 accented text practically never
    does; None leaves GDAL's choice.
    """
    data = _dbf_without_cpg(gdal_path)
    if data is None or len(data) < 32 or data[29] != 0 or data.isascii():
        return None
    try:
        data[32:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "UTF-8"


def _dbf_without_cpg(gdal_path: str) -> bytes | None:
    """The bytes of a Shapefile's DBF when it has no .cpg (None otherwise), from a folder or
    from the zip archive it came in (most Shapefiles are sent zipped)."""
    zipped = ZIP_MEMBER.match(gdal_path)
    if zipped:
        archive_path, member = zipped.groups()
        stem = member[: -len(".shp")] if member.lower().endswith(".shp") else None
        if stem is None:
            return None
        with zipfile.ZipFile(archive_path) as archive:
            names = set(archive.namelist())
            dbf = next((n for n in (f"{stem}.dbf", f"{stem}.DBF") if n in names), None)
            if dbf is None or {f"{stem}.cpg", f"{stem}.CPG"} & names:
                return None
            return archive.read(dbf)
    path = Path(gdal_path)
    if gdal_path.startswith("/vsi") or path.suffix.lower() != ".shp":
        return None
    dbf_path = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
    if dbf_path is None or any(p.exists() for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG"))):
        return None
    return dbf_path.read_bytes()


def _gdal_message(exc: Exception, gdal_path: str = "") -> str:
    # GDAL messages repeat the full server path: show the reason only.
    text = str(exc).splitlines()[0]
    if gdal_path:
        text = text.replace(f"'{gdal_path}' ", "").replace(gdal_path, Path(gdal_path).name)
    return text[:300]


def read_source(
    path: str | Path,
    *,
    layer: str | None = None,
    srid: int | None = None,
    max_features: int | None = None,
    geometry_columns: dict[str, str] | None = None,
) -> Source:
    """Read `path` (file, folder or zip). `srid` declares the source CRS (overrides the file's).

    `geometry_columns` ({"lon": col, "lat": col} or {"geom": col}) picks CSV geometry columns.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ImportFileError(name, "file not found", _("file not found"))
    gdal_path, kind, layer = _resolve(path, layer)
    if kind in OSM_SUFFIXES or kind == ".pbf":
        raise ImportFileError(
            name,
            "OpenStreetMap extracts are street networks: use import_streets",
            _("OpenStreetMap extracts are street networks: import them as the street network"),
        )
    notes: list[Note] = []
    row_problems: dict[int, Note] = {}
    if kind in (".csv", ".txt"):
        if gdal_path.startswith("/vsizip/"):
            inner = gdal_path.split(f"{path.resolve()}/", 1)[1]
            with zipfile.ZipFile(path) as archive:
                raw = archive.read(inner)
        else:
            raw = path.read_bytes()
        frame, row_problems, csv_notes = read_csv_frame(
            name, raw, srid=srid or 4326, srid_declared=srid is not None, columns=geometry_columns or {}
        )
        notes += csv_notes
        total = len(frame)
        if max_features is not None:
            frame = frame.iloc[:max_features]
        layers, chosen, driver = [], None, "CSV"
    elif kind in SPREADSHEET_SUFFIXES:
        frame, layers, chosen, driver, total = _read_sheet(name, gdal_path, layer, max_features, notes)
        rows = len(frame)
        frame, row_problems = table_points(
            name, frame, srid=srid or 4326, srid_declared=srid is not None, columns=geometry_columns or {}
        )
        total -= rows - len(frame)  # the empty rows at the end, dropped
    else:
        bare = _bare_feature_array(gdal_path) if kind in (".json", ".geojson") else None
        if bare is not None:
            try:
                frame = gpd.GeoDataFrame.from_features(bare, crs=f"EPSG:{srid or 4326}")
            # ShapelyError: an unknown geometry type ("Bogus") or unusable coordinates.
            except (
                KeyError,
                IndexError,
                TypeError,
                ValueError,
                AttributeError,
                shapely.errors.ShapelyError,
            ) as exc:
                raise ImportFileError(
                    name,
                    f"not an array of GeoJSON Features ({exc})",
                    _("not an array of GeoJSON Features (%(reason)s)") % {"reason": exc},
                ) from exc
            frame = frame.set_geometry(shapely.force_2d(frame.geometry.values))
            notes.append(
                Note(
                    "bare JSON array of Features read as a FeatureCollection",
                    _("A bare JSON array of features (no FeatureCollection) was read as one."),
                )
            )
            total = len(frame)
            if max_features is not None:
                frame = frame.iloc[:max_features]
            layers, chosen, driver = [], None, "GeoJSON"
        else:
            frame, layers, chosen, driver, total, row_problems = _read_gdal(
                name, gdal_path, layer, max_features
            )
    frame = collections_unwrapped(frame.reset_index(drop=True), notes)
    crs = _source_crs(name, frame, srid, notes, table=driver == "CSV" or kind in SPREADSHEET_SUFFIXES)
    frame = frame.set_crs(crs, allow_override=True)
    if crs.to_epsg() is None:
        # PostGIS transforms by EPSG code; a custom CRS (odd .prj) is transformed here instead.
        target = CRS.from_epsg(settings.RONDE_SRID)
        notes.append(
            Note(
                f"CRS '{crs.name}' has no EPSG code: transformed with PROJ",
                _(
                    "The coordinate system “%(crs)s” has no EPSG code: the coordinates were transformed with PROJ."
                )
                % {"crs": crs.name},
            )
        )
        frame, crs = frame.to_crs(target), target
    return Source(
        frame=frame,
        name=name,
        layer=chosen,
        layers=layers,
        driver=driver,
        crs=crs,
        total=total,
        notes=notes,
        row_problems=row_problems,
    )


def _source_crs(name: str, frame: gpd.GeoDataFrame, srid: int | None, notes: list[Note], table: bool) -> CRS:
    """The CRS to read the frame in; `table`: a CSV or sheet (its columns, no .prj, say the CRS)."""
    if srid:
        try:
            return CRS.from_epsg(srid)
        except CRSError as exc:
            raise ImportFileError(
                name,
                f"unknown CRS EPSG:{srid}",
                _("unknown coordinate system EPSG:%(srid)s") % {"srid": srid},
            ) from exc
    if frame.crs is not None:
        crs = CRS(frame.crs)
        # A 3D CRS (EPSG:4979 for GeoJSON with heights, compound CRS from a .prj): Z is
        # dropped, so the horizontal part is what we transform from.
        return crs.to_2d() if crs.is_geographic or crs.is_compound else crs
    # No .prj / no CRS: lon/lat is the only safe guess, and only when coordinates fit.
    bounds = frame.total_bounds if len(frame) else (0, 0, 0, 0)
    if -180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90:
        notes.append(
            Note(
                "no CRS in the file: coordinates read as longitude/latitude (EPSG:4326)",
                _(
                    "No coordinate system in the file: the coordinates were read as longitude/latitude (EPSG:4326)."
                ),
            )
        )
        return CRS.from_epsg(4326)
    hint, suggested = "", None
    # Lambert-93's metres over metropolitan France (x 100-1300 km, y 6000-7200 km).
    if 100_000 <= bounds[0] <= bounds[2] <= 1_300_000 and 6_000_000 <= bounds[1] <= bounds[3] <= 7_200_000:
        hint, suggested = " (the coordinates fall in Lambert-93's range over France: --srid 2154?)", 2154
    if table:
        raise MissingCrsError(
            name,
            f"the coordinates are not longitude/latitude and the file does not say their CRS: "
            f"give its EPSG code with --srid{hint}",
            suggested,
            _(
                "the coordinates are not longitude/latitude and the file does not say their coordinate "
                "system: choose its EPSG code in the list below."
            ),
        )
    raise MissingCrsError(
        name,
        f"the file has no CRS (missing .prj?): give its EPSG code with --srid{hint}",
        suggested,
        _("the file has no coordinate system (no .prj?): choose its EPSG code in the list below."),
    )


class MissingCrsError(ImportFileError):
    """The layer has no CRS and its coordinates are not lon/lat; `suggested` is the EPSG code
    its coordinates' range points to (2154), if any: the web preview prefills it."""

    def __init__(self, file: str, problem: str, suggested: int | None, shown: str = "") -> None:
        super().__init__(file, problem, shown)
        self.suggested = suggested
