"""CSV (and spreadsheet sheets) as exported by citizen apps, open-data portals and office
suites: find the geometry wherever it hides.

Geometry from, in this order: columns named by the caller ({"lon", "lat"} or {"geom"}), a WKT
column, lon/lat columns, or a point written as text: `{'lon': 0.34, 'lat': 46.58}` or
`46.58, 0.34` (latitude first, as French open-data `geo_point_2d` columns); lon/lat columns
may be in degrees-minutes-seconds (43°44'06" N). Separator `;`,
`,` or tab; UTF-8 (with or without BOM) or Latin-1; decimal commas accepted.
"""

import csv
import io
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from django.utils.translation import gettext as _

from .errors import ImportFileError, Note
from .geometries import off_globe

WKT_NAMES = ("wkt", "geom", "geometry", "the_geom", "wkt_geom", "geometrie", "géométrie")
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "coord_x")
LAT_NAMES = ("lat", "latitude", "y", "coord_y")
POINT_NAMES = (
    "geo_point_2d",
    "geo_point",
    "geopoint",
    "point",
    "coordinates",
    "coordonnees",
    "coordonnées",
    "coords",
    "position",
    "location",
    "localisation",
)
NUMBER = r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?"
DICT_LON = re.compile(rf"['\"]?(?:lon|lng|longitude)['\"]?\s*[:=]\s*({NUMBER})", re.IGNORECASE)
DICT_LAT = re.compile(rf"['\"]?(?:lat|latitude)['\"]?\s*[:=]\s*({NUMBER})", re.IGNORECASE)
PAIR = re.compile(rf"^\s*[\[(]?\s*({NUMBER})\s*[,;\s]\s*({NUMBER})\s*[\])]?\s*$")
EWKT = re.compile(r"^\s*SRID=(\d+);", re.IGNORECASE)


def _decode(name: str, raw: bytes) -> tuple[str, list[Note]]:
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        # Excel and older municipal tools still write Windows-1252/Latin-1.
        note = Note(
            f"{name} is not UTF-8: read as Latin-1",
            _("%(name)s is not in UTF-8: its text was read as Latin-1 (Windows-1252).") % {"name": name},
        )
        return raw.decode("cp1252", errors="replace"), [note]


def _separator(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        return max(";,\t|", key=header.count)


def _number(value: object) -> float:
    if value is None:
        return float("nan")
    text = str(value).strip().replace(",", ".")
    try:
        return float(text) if text else float("nan")
    except ValueError:
        return float("nan")


# 43°44'06" N, 7°25,5' E, 1° 26′ 37.2″ O (Ouest): degrees, minutes, seconds as typed by hand.
DMS = re.compile(
    r"^\s*(-)?\s*([NSEWO])?\s*(\d+(?:[.,]\d+)?)\s*[°º]\s*(?:(\d+(?:[.,]\d+)?)\s*['′’]\s*)?"
    r"(?:(\d+(?:[.,]\d+)?)\s*(?:[\"″”]|'')\s*)?([NSEWO])?\s*$",
    re.IGNORECASE,
)


def _coordinate(value: object) -> float:
    """A longitude or latitude: decimal (dot or comma) or degrees-minutes-seconds; NaN if neither."""
    number = _number(value)
    match = DMS.match(str(value)) if np.isnan(number) and value is not None else None
    if not match:
        return number
    minus, before, degrees, minutes, seconds, after = match.groups()
    number = sum(_number(part or 0) / scale for part, scale in ((degrees, 1), (minutes, 60), (seconds, 3600)))
    west_or_south = (before or after or "").upper() in ("S", "W", "O")
    return -number if minus or west_or_south else number


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _parse_point_text(value: str) -> tuple[float, float] | None:
    """(lon, lat) from `{'lon': 0.34, 'lat': 46.58}` or `46.58, 0.34` (lat, lon)."""
    lon, lat = DICT_LON.search(value), DICT_LAT.search(value)
    if lon and lat:
        return _number(lon.group(1)), _number(lat.group(1))
    pair = PAIR.match(value)
    if pair and ("." in value or value.count(",") == 1):
        # "46.58, 0.34": latitude first. With decimal commas the separator must be ; or space.
        return _number(pair.group(2)), _number(pair.group(1))
    return None


def _looks_like_point_text(series: pd.Series) -> bool:
    sample = [v for v in series.head(20) if v]
    return bool(sample) and all(_parse_point_text(str(v)) is not None for v in sample)


def _without_trailing_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty or not len(frame.columns):
        return frame
    text = frame.where(frame.notna(), "").astype(str)
    empty = text.apply(lambda column: column.str.strip().eq("")).all(axis=1).to_numpy()
    filled = np.flatnonzero(~empty)
    return frame.iloc[: filled[-1] + 1 if len(filled) else 0]


def _none_lonlat(geoms: np.ndarray) -> bool:
    """No geometry of `geoms` could be longitude/latitude (and at least one is there)."""
    bounds = shapely.bounds(geoms)
    present = ~np.isnan(bounds).any(axis=1)
    return bool(present.any()) and bool(off_globe(bounds)[present].all())


def read_csv_frame(
    name: str, raw: bytes, *, srid: int, srid_declared: bool, columns: dict[str, str]
) -> tuple[gpd.GeoDataFrame, dict[int, Note], list[Note]]:
    """(features, {index: geometry problem}, notes). All attributes are kept as text."""
    text, notes = _decode(name, raw)
    if not text.strip():
        raise ImportFileError(name, "the file is empty", _("the file is empty"))
    sep = _separator(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        raise ImportFileError(
            name,
            f"cannot read the CSV ({reason})",
            _("cannot read the CSV (%(reason)s)") % {"reason": reason},
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.replace({"": None})
    points, problems = table_points(name, frame, srid=srid, srid_declared=srid_declared, columns=columns)
    return points, problems, notes


def table_points(
    name: str, frame: pd.DataFrame, *, srid: int, srid_declared: bool, columns: dict[str, str]
) -> tuple[gpd.GeoDataFrame, dict[int, Note]]:
    """A table (CSV, spreadsheet sheet) -> (features, {index: geometry problem}): the geometry
    from the caller's columns, a WKT column, lon/lat columns or a column of point text.

    Empty rows at the end are dropped: spreadsheets export the rows once formatted or cleared
    (";;;" lines), which are no features."""
    frame = _without_trailing_empty_rows(frame)
    cols = list(frame.columns)
    for key in ("lon", "lat", "geom"):
        if key in columns and columns[key] not in cols:
            raise ImportFileError(
                name,
                f"missing column '{columns[key]}' (columns: {', '.join(cols)})",
                _("missing column '%(column)s' (columns: %(columns)s)")
                % {"column": columns[key], "columns": ", ".join(cols)},
            )

    # Each problem as a Note: the command's wording, and `shown` in the user's language.
    problems: dict[int, Note] = {}
    n = len(frame)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    wkt_col = columns.get("geom") or (None if "lon" in columns else _find(cols, WKT_NAMES))
    lon_col = columns.get("lon") or _find(cols, LON_NAMES)
    lat_col = columns.get("lat") or _find(cols, LAT_NAMES)
    point_col = None
    if not wkt_col and not (lon_col and lat_col):
        point_col = _find(cols, POINT_NAMES) or next(
            (c for c in cols if _looks_like_point_text(frame[c].dropna())), None
        )
    used: list[str] = []
    if wkt_col:
        used = [wkt_col]
        values = frame[wkt_col].fillna("").astype(str)
        declared = values.str.extract(EWKT, expand=False).dropna().unique()
        if len(declared) == 1 and not srid_declared:
            srid = int(declared[0])
        # As an object array: with no rows pandas would hand back an empty *string* Series,
        # which GeoSeries refuses (TypeError).
        geoms = np.asarray(
            shapely.from_wkt(
                values.str.replace(EWKT, "", regex=True).replace({"": None}), on_invalid="ignore"
            ),
            dtype=object,
        )
        for i in np.flatnonzero(shapely.is_missing(geoms)):
            if not values.iloc[i]:
                problems[int(i)] = Note(
                    f"no geometry in column '{wkt_col}'",
                    _("no geometry in column '%(column)s'") % {"column": wkt_col},
                )
            else:
                text = f"{values.iloc[i][:60]!r}"
                problems[int(i)] = Note(
                    f"unreadable WKT in column '{wkt_col}': {text}",
                    _("unreadable WKT in column '%(column)s': %(text)s") % {"column": wkt_col, "text": text},
                )
    else:
        if lon_col and lat_col:
            used = [lon_col, lat_col]
            x = np.array([_coordinate(v) for v in frame[lon_col]])
            y = np.array([_coordinate(v) for v in frame[lat_col]])
            label = f"columns '{lon_col}'/'{lat_col}'"
            shown = _("no readable coordinates in columns '%(lon)s'/'%(lat)s'") % {
                "lon": lon_col,
                "lat": lat_col,
            }
        elif point_col:
            used = [point_col]
            for row, value in enumerate(frame[point_col]):
                parsed = _parse_point_text(str(value)) if value else None
                if parsed:
                    x[row], y[row] = parsed
            label = f"column '{point_col}'"
            shown = _("no readable coordinates in column '%(column)s'") % {"column": point_col}
        else:
            raise ImportFileError(
                name,
                "no geometry column: expected lon/lat columns, a WKT column or a point column "
                f"(columns: {', '.join(cols)}); name them with --map lon=… --map lat=… or --map geom=…",
                _(
                    "no geometry column: expected longitude/latitude columns, a WKT column or a point "
                    "column (columns: %(columns)s)"
                )
                % {"columns": ", ".join(cols)},
            )
        geoms = shapely.points(x, y)
        for i in np.flatnonzero(np.isnan(x) | np.isnan(y)):
            geoms[i] = None
            problems[int(i)] = Note(f"no readable coordinates in {label}", shown)
    frame = frame.drop(columns=used)
    crs: str | None = f"EPSG:{srid}"
    if not srid_declared and srid == 4326 and _none_lonlat(geoms):
        # Nothing says the CRS and no point is lon/lat (French exports often carry Lambert-93
        # x/y columns): no CRS, so that the reader asks for one (readers._source_crs) with a
        # hint. One row out of range among lon/lat ones is a typo, reported on transform.
        crs = None
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs)), problems
