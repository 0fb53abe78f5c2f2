"""Export writers: GeoJSON and CSV are streamed as they are read; GeoPackage and Shapefile
(binary containers) are written chunk by chunk to a temporary file, then streamed.

Memory stays bounded by one chunk of rows (export_queries.export_rows) whatever the size.
Column names and values are the ones import_geodata maps back, so import → export → import
gives the same features (coordinates at full double precision).
"""

import datetime as dt
import io
import json
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Community
from core.params import ParamError
from core.spreadsheet import csv_writer

from .export_queries import FORMATS, export_queryset, export_rows, export_spec, parse_crs

CONTENT_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
}
EXTENSIONS = {"geojson": "geojson", "csv": "csv", "gpkg": "gpkg", "shp": "zip"}
FAMILY = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line"}
BLOCK = 64 * 1024


@dataclass
class Export:
    """A checked export request; `stream()` produces the file's bytes."""

    community: Community
    what: str
    fmt: str
    srid: int
    qs: QuerySet
    attr_types: dict[str, str]  # attributes key -> number | boolean | string

    @property
    def filename(self) -> str:
        return f"{self.community.slug}-{self.what}.{EXTENSIONS[self.fmt]}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.fmt]

    def stream(self) -> Iterator[bytes]:
        writer = {"geojson": _geojson, "csv": _csv, "gpkg": _gpkg, "shp": _shp}[self.fmt]
        return writer(self)


def export_prepare(
    *,
    community: Community,
    what: str,
    fmt: str,
    crs: str | None = None,
    filters: dict[str, str] | None = None,
) -> Export:
    """Check the request (ParamError names the bad parameter) before any byte is sent."""
    srid, qs = export_check(community=community, what=what, fmt=fmt, crs=crs, filters=filters)
    spec = export_spec(what)
    attr_types = _attribute_types(qs, spec.model._meta.db_table) if spec.has_attributes else {}
    return Export(community, what, fmt, srid, qs, attr_types)


def export_check(
    *,
    community: Community,
    what: str,
    fmt: str,
    crs: str | None = None,
    filters: dict[str, str] | None = None,
) -> tuple[int, QuerySet]:
    """(output SRID, rows to export) of a request, or ParamError naming its bad parameter;
    reads no row (the export page checks its form with it before sending to the download)."""
    if fmt not in FORMATS:
        raise ParamError(
            "format", _("format: unknown '%(fmt)s' (%(known)s).") % {"fmt": fmt, "known": ", ".join(FORMATS)}
        )
    export_spec(what)
    # GeoJSON (RFC 7946) and CSV default to lon/lat; GIS containers to the storage SRID.
    default = settings.RONDE_API_SRID if fmt in ("geojson", "csv") else settings.RONDE_SRID
    srid = parse_crs(crs, default)
    return srid, export_queryset(community=community, what=what, filters=filters or {})


def _attribute_types(qs: QuerySet, table: str) -> dict[str, str]:
    """One pass over the exported rows' attributes: each key and the JSON types it holds."""
    ids_sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connections[qs.db].cursor() as cursor:  # where the rows are read (a replica, maybe)
        cursor.execute(
            f"SELECT e.key, array_agg(DISTINCT jsonb_typeof(e.value)) FROM {table} t, "  # noqa: S608
            f"jsonb_each(t.attributes) e WHERE t.id IN ({ids_sql}) GROUP BY e.key ORDER BY e.key",
            params,
        )
        rows = cursor.fetchall()
    types: dict[str, str] = {}
    for key, kinds in rows:
        kinds = set(kinds) - {"null"}
        types[key] = "number" if kinds == {"number"} else "boolean" if kinds == {"boolean"} else "string"
    return types


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _records(export: Export, names: list[str], rows: list[tuple]) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Property dicts (attributes flattened into columns) and the geometries of one chunk."""
    spec = export_spec(export.what)
    core = len(names)
    records = []
    for row in rows:
        props = {name: _plain(row[i]) for i, name in enumerate(names)}
        if spec.has_attributes:
            attrs = row[core] or {}
            for key, kind in export.attr_types.items():
                value = attrs.get(key)
                if kind == "string" and value is not None and not isinstance(value, str):
                    value = json.dumps(value) if isinstance(value, dict | list) else str(value)
                props[key if key not in props else f"attr_{key}"] = value
        records.append(props)
    geoms = shapely.from_wkb([bytes(row[-1]) if row[-1] is not None else None for row in rows])
    return records, geoms


def _geojson(export: Export) -> Iterator[bytes]:
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if export.srid != 4326:
        # RFC 7946 is lon/lat only; the legacy member keeps other CRSs readable by GDAL.
        head["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{export.srid}"}}
    yield (json.dumps(head)[:-1] + ', "features": [\n').encode()
    first = True
    for names, rows in export_rows(export.qs, what=export.what, srid=export.srid):
        records, geoms = _records(export, names, rows)
        texts = shapely.to_geojson(geoms)
        parts = []
        for props, geometry in zip(records, texts, strict=True):
            feature = f'{{"type": "Feature", "id": {props["ronde_id"]}, "properties": {json.dumps(props)}, "geometry": {geometry or "null"}}}'
            parts.append(feature if first else ",\n" + feature)
            first = False
        yield "".join(parts).encode()
    yield b"\n]}\n"


def _csv(export: Export) -> Iterator[bytes]:
    spec = export_spec(export.what)
    prefix = "" if export.srid == 4326 else f"SRID={export.srid};"
    header = [name for name, _p in spec.columns] + [
        k if k not in dict(spec.columns) else f"attr_{k}" for k in export.attr_types
    ]
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow([*header, "wkt"])
    yield buffer.getvalue().encode()
    for names, rows in export_rows(export.qs, what=export.what, srid=export.srid):
        records, geoms = _records(export, names, rows)
        wkts = shapely.to_wkt(geoms, rounding_precision=-1)
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        for props, wkt in zip(records, wkts, strict=True):
            writer.writerow(
                [*("" if v is None else v for v in props.values()), f"{prefix}{wkt}" if wkt else ""]
            )
        yield buffer.getvalue().encode()


def _frame(export: Export, names: list[str], rows: list[tuple]) -> gpd.GeoDataFrame:
    records, geoms = _records(export, names, rows)
    frame = pd.DataFrame.from_records(records)
    for key, kind in export.attr_types.items():
        column = key if key in frame.columns else f"attr_{key}"
        # Same column type in every chunk: GDAL fixes the field type on the first one.
        frame[column] = pd.to_numeric(frame[column]) if kind == "number" else frame[column].astype(object)
    for column in ("surface_m2",):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{export.srid}")


def _stream_file(path: Path, cleanup: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while block := handle.read(BLOCK):
                yield block
    finally:
        shutil.rmtree(cleanup, ignore_errors=True)


def _gpkg(export: Export) -> Iterator[bytes]:
    tmp = Path(tempfile.mkdtemp(prefix="ronde-export-"))
    path = tmp / f"{export.what}.gpkg"
    written = False
    for names, rows in export_rows(export.qs, what=export.what, srid=export.srid):
        frame = _frame(export, names, rows)
        pyogrio.write_dataframe(
            frame, path, layer=export.what, driver="GPKG", append=written, geometry_type="Unknown"
        )
        written = True
    if not written:
        pyogrio.write_dataframe(
            _empty(export), path, layer=export.what, driver="GPKG", geometry_type="Unknown"
        )
    yield from _stream_file(path, tmp)


def _empty(export: Export) -> gpd.GeoDataFrame:
    spec = export_spec(export.what)
    columns = {name: pd.Series(dtype=object) for name, _p in spec.columns}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=f"EPSG:{export.srid}"))


def _shp(export: Export) -> Iterator[bytes]:
    """A zip of one Shapefile per geometry family (a .shp holds one type only)."""
    tmp = Path(tempfile.mkdtemp(prefix="ronde-export-"))
    folder = tmp / export.what
    folder.mkdir()
    written: set[str] = set()
    for names, rows in export_rows(export.qs, what=export.what, srid=export.srid):
        frame = _frame(export, names, rows)
        families = frame.geometry.geom_type.map(lambda t: FAMILY.get(t, "polygon"))
        for family in sorted(set(families)):
            part = frame[families == family]
            name = export.what if family == _main_family(export.what) else f"{export.what}_{family}"
            with warnings.catch_warnings():
                # GDAL cuts field names at 10 characters (external_id -> external_i); the
                # importer maps the cut names back, so the warning is expected.
                warnings.simplefilter("ignore", RuntimeWarning)
                pyogrio.write_dataframe(
                    part,
                    folder / f"{name}.shp",
                    driver="ESRI Shapefile",
                    append=name in written,
                    promote_to_multi=family != "point",
                )
            written.add(name)
    if not written:
        pyogrio.write_dataframe(
            _empty(export), folder / f"{export.what}.shp", driver="ESRI Shapefile", geometry_type="Point"
        )
    archive = tmp / f"{export.what}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted(folder.iterdir()):
            out.write(file, arcname=file.name)
    yield from _stream_file(archive, tmp)


def _main_family(what: str) -> str:
    return {"zones": "polygon", "missions": "polygon", "assets": "point"}.get(what, "point")


__all__ = ["ParamError", "Export", "export_prepare"]
