"""What the upload preview shows: detected CRS, geometry types, counts, mapping, first features."""

import json
from pathlib import Path
from typing import Any

import shapely

from .errors import ImportFileError
from .mapping import category_choices, resolve_mapping, target_spec
from .readers import list_layers, read_source
from .validation import geometry_types

PREVIEW_FEATURES = 50


def import_preview(
    path: str | Path, *, into: str, community_id: int, options: dict[str, Any]
) -> dict[str, Any]:
    """A dict for the template; `error` is set (and the rest partial) when the file is refused."""
    path = Path(path)
    out: dict[str, Any] = {"file": path.name, "error": "", "layers": [], "layer": options.get("layer") or ""}
    try:
        out["layers"] = list_layers(path)
        layer = out["layer"] or (out["layers"][0] if len(out["layers"]) > 1 else None)
        out["layer"] = layer or ""
        mapping = dict(options.get("mapping") or {})
        geometry_columns = {k: mapping.pop(k) for k in ("lon", "lat", "geom") if k in mapping}
        source = read_source(
            path, layer=layer, srid=options.get("srid") or None, geometry_columns=geometry_columns
        )
        spec = target_spec(into)
        columns = [c for c in source.frame.columns if c != source.frame.geometry.name]
        field_map, external_id = resolve_mapping(
            path.name, spec, columns, mapping, options.get("external_id") or None
        )
    except ImportFileError as exc:
        out["error"] = exc.problem
        return out
    head = source.frame.head(PREVIEW_FEATURES)
    lonlat = head.to_crs(4326)
    features = []
    rows = []
    for i, geom in enumerate(lonlat.geometry.values):
        props = {c: _show(head[c].iat[i]) for c in columns}
        if geom is not None and not geom.is_empty:
            features.append(
                {
                    "type": "Feature",
                    "id": i,
                    "properties": {"n": i},
                    "geometry": json.loads(shapely.to_geojson(geom)),
                }
            )
            point = geom.representative_point()
            where = f"{point.x:.6f}, {point.y:.6f}"
            kind = geom.geom_type
        else:
            where, kind = "", ""
        rows.append({"index": i, "kind": kind, "where": where, "values": [props[c] for c in columns]})
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
            "notes": source.notes,
            "rows": rows,
            "geojson": {"type": "FeatureCollection", "features": features},
            "categories": category_choices(into, community_id) if spec.needs_category else [],
        }
    )
    return out


def _show(value: Any) -> str:
    text = "" if value is None else str(value)
    return "" if text in ("nan", "None", "NaT") else text[:80]
