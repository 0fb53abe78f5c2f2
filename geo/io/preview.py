"""What the upload preview shows: detected CRS, geometry types, counts, mapping, first features.

The preview runs in the web request, so what it reads is capped (issue 22: 10 features of
1,000,000 vertices took 39 s and 2.6 GB): only the first PREVIEW_FEATURES features are read
(GeoPackage and Shapefile read just those), text formats GDAL must parse whole (GeoJSON, KML,
CSV) only up to RONDE_IMPORT_PREVIEW_MAX_MB, and the map draws at most PREVIEW_MAX_VERTICES
vertices (a feature beyond the budget is drawn as its bounding box). The import itself runs
in the background worker.
"""

import json
import zipfile
from pathlib import Path
from typing import Any

import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ImportFileError
from .mapping import category_choices, resolve_mapping, target_spec
from .readers import MissingCrsError, list_layers, read_source
from .validation import geometry_types

PREVIEW_FEATURES = 50
PREVIEW_MAX_VERTICES = 50_000  # on the preview map, all features together
# Parsed whole by GDAL (or by us) even to read one feature; a zip is judged by what it holds.
TEXT_SUFFIXES = (".geojson", ".json", ".kml", ".csv", ".txt")


def _text_bytes(path: Path) -> int:
    """Bytes of text-format data in the upload (0 for GeoPackage, Shapefile…)."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                return sum(
                    i.file_size for i in archive.infolist() if i.filename.lower().endswith(TEXT_SUFFIXES)
                )
        except zipfile.BadZipFile:
            return 0  # read_source names the problem
    return path.stat().st_size if path.suffix.lower() in TEXT_SUFFIXES and path.is_file() else 0


def _check_size(path: Path) -> None:
    limit_mb = settings.RONDE_IMPORT_PREVIEW_MAX_MB
    size = _text_bytes(path)
    if size > limit_mb * 1024 * 1024:
        raise ImportFileError(
            path.name,
            _(
                "too large to preview (%(size)d MB of GeoJSON, KML or CSV; the preview reads up to "
                "%(limit)d MB of those): save it as a GeoPackage, split it, or import it with "
                "manage.py import_geodata."
            )
            % {"size": -(-size // (1024 * 1024)), "limit": limit_mb},  # rounded up: never "20 MB > 20 MB"
        )


def _map_geometry(geom: Any, budget: int) -> tuple[Any, int]:
    """(geometry to draw, vertices it costs): the bounding box once over the budget."""
    vertices = int(shapely.get_num_coordinates(geom))
    if vertices <= budget:
        return geom, vertices
    return shapely.envelope(geom), 5


def import_preview(
    path: str | Path, *, into: str, community_id: int, options: dict[str, Any]
) -> dict[str, Any]:
    """A dict for the template; `error` is set (and the rest partial) when the file is refused."""
    path = Path(path)
    out: dict[str, Any] = {"file": path.name, "error": "", "layers": [], "layer": options.get("layer") or ""}
    out["srid"] = options.get("srid") or None
    notes: list[str] = []  # in the user's language
    try:
        _check_size(path)
        out["layers"] = list_layers(path)
        layer = out["layer"] or (out["layers"][0] if len(out["layers"]) > 1 else None)
        out["layer"] = layer or ""
        mapping = dict(options.get("mapping") or {})
        geometry_columns = {k: mapping.pop(k) for k in ("lon", "lat", "geom") if k in mapping}
        srid = options.get("srid") or None
        try:
            source = read_source(
                path, layer=layer, srid=srid, geometry_columns=geometry_columns, max_features=PREVIEW_FEATURES
            )
        except MissingCrsError as exc:
            if srid or not exc.suggested:
                raise
            # No .prj but Lambert-93 coordinates: the CRS selector comes prefilled with
            # EPSG:2154 and the preview (map included) shows what that reading gives.
            srid = out["suggested_srid"] = exc.suggested
            source = read_source(
                path, layer=layer, srid=srid, geometry_columns=geometry_columns, max_features=PREVIEW_FEATURES
            )
            notes.append(
                _(
                    "The file does not say its coordinate system. Its coordinates fall in Lambert-93's "
                    "range over France: EPSG:%(srid)d is proposed below; check the map before importing."
                )
                % {"srid": srid}
            )
        out["srid"] = srid
        spec = target_spec(into)
        columns = [c for c in source.frame.columns if c != source.frame.geometry.name]
        field_map, external_id = resolve_mapping(
            path.name, spec, columns, mapping, options.get("external_id") or None
        )
    except ImportFileError as exc:
        out["error"] = exc.shown
        return out
    head = source.frame.head(PREVIEW_FEATURES)
    lonlat = head.to_crs(4326)
    features = []
    rows = []
    budget = PREVIEW_MAX_VERTICES
    boxed = 0
    for i, geom in enumerate(lonlat.geometry.values):
        props = {c: _show(head[c].iat[i]) for c in columns}
        if geom is not None and not geom.is_empty:
            drawn, cost = _map_geometry(geom, budget)
            budget -= cost
            boxed += drawn is not geom
            features.append(
                {
                    "type": "Feature",
                    "id": i,
                    "properties": {"n": i},
                    "geometry": json.loads(shapely.to_geojson(drawn)),
                }
            )
            point = geom.representative_point()
            where = f"{point.x:.6f}, {point.y:.6f}"
            kind = geom.geom_type
        else:
            where, kind = "", ""
        rows.append({"index": i, "kind": kind, "where": where, "values": [props[c] for c in columns]})
    notes += [note.shown for note in source.notes]
    if source.total > len(head):
        notes.append(
            _("The preview shows the first %(n)d features of %(total)d.")
            % {"n": len(head), "total": source.total}
        )
    if boxed:
        notes.append(
            _("%(n)d features with many vertices are drawn as their bounding box on this map.") % {"n": boxed}
        )
    out.update(
        {
            "crs": source.crs_label,
            "driver": source.driver,
            "total": source.total,
            "geometry_types": dict(geometry_types(source)),
            "columns": columns,
            "fields": [f.name for f in spec.fields] + (["category"] if spec.needs_category else []),
            "mapping": field_map,
            "external_id": external_id or "",
            "notes": notes,
            "rows": rows,
            "geojson": {"type": "FeatureCollection", "features": features},
            "categories": category_choices(into, community_id) if spec.needs_category else [],
        }
    )
    return out


def _show(value: Any) -> str:
    text = "" if value is None else str(value)
    return "" if text in ("nan", "None", "NaT") else text[:80]
