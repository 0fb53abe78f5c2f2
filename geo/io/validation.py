"""Check each feature before anything is written, and turn it into a staging row.

Checks here are the ones Python does best (geometry family, values, duplicate ids); the
ones PostGIS does best (validity + ST_MakeValid, CRS transform, territory) run in
geo/sql/import_prepare.sql on the staging table.
"""

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.utils.translation import gettext as _

from .errors import NOTE, SKIPPED, ImportReport, Note
from .geometries import off_globe
from .mapping import BadValue, TargetSpec, clean_json_column, clean_text, clean_value
from .readers import Source

FAMILY = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "LinearRing": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
    "GeometryCollection": "collection",
}
# ST_CollectionExtract dimension for each family (1 points, 2 lines, 3 polygons).
DIMENSION = {"point": 1, "line": 2, "polygon": 3}

Row = tuple[int, str, str | None, str, str]  # idx, external id, EWKB hex, fields JSON, attrs JSON


def geometry_types(source: Source) -> Counter:
    geoms = source.frame.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return Counter(str(t) for t in source.frame.geometry[present].geom_type)


def check_geometry_family(source: Source, spec: TargetSpec, report: ImportReport) -> str | None:
    """The one geometry family of the layer, or None after reporting why it does not fit."""
    types = geometry_types(source)
    report.geometry_types = sorted(types)
    families = Counter()
    for geom_type, count in types.items():
        families[FAMILY.get(geom_type, geom_type)] += count
    if not families:
        if source.row_problems:  # why the first one has none says what is wrong with them all
            i, why = min(source.row_problems.items())
            report.add(
                None,
                "",
                f"no feature has a geometry (feature #{i}: {why})",
                shown=_("no feature has a geometry (feature #%(n)s: %(why)s)") % {"n": i, "why": why.shown},
            )
            return None
        report.add(None, "", "no feature has a geometry", shown=_("no feature has a geometry"))
        return None
    if len(families) > 1:
        detail = ", ".join(f"{t} ×{n}" for t, n in sorted(types.items()))
        minority = min(families, key=lambda f: families[f])
        first = next(
            i
            for i, g in enumerate(source.frame.geometry)
            if g is not None and FAMILY.get(g.geom_type) == minority
        )
        report.add(
            None,
            "",
            f"mixed geometry types ({detail}): split the file by geometry type "
            f"(first {minority} is feature #{first})",
            shown=_(
                "mixed geometry types (%(detail)s): split the file by geometry type "
                "(first %(family)s is feature #%(first)s)"
            )
            % {"detail": detail, "family": minority, "first": first},
        )
        return None
    family = next(iter(families))
    if family == "collection":
        report.add(
            None,
            "",
            "geometry collections cannot be imported: explode them first",
            shown=_("geometry collections cannot be imported: split them into single geometries first"),
        )
        return None
    wanted = spec.geometry
    if wanted != "any" and family != wanted:
        report.add(
            None,
            "",
            f"{spec.name} need {wanted} geometries, the layer has {', '.join(sorted(types))}",
            shown=_("%(target)s need %(wanted)s geometries, the layer has %(types)s")
            % {"target": spec.name, "wanted": wanted, "types": ", ".join(sorted(types))},
        )
        return None
    return family


def _single_points(geoms: np.ndarray, report: ImportReport, ids: list[str]) -> np.ndarray:
    """Reports/interventions are points: a one-point MultiPoint is unwrapped, more is an error."""
    out = geoms.copy()
    for i, geom in enumerate(geoms):
        if geom is not None and geom.geom_type == "MultiPoint":
            if len(geom.geoms) == 1:
                out[i] = geom.geoms[0]
            else:
                n = len(geom.geoms)
                report.add(
                    i,
                    ids[i],
                    f"a MultiPoint of {n} points where one point is expected",
                    shown=_("a MultiPoint of %(n)s points where one point is expected") % {"n": n},
                )
    return out


def build_rows(
    source: Source,
    spec: TargetSpec,
    *,
    family: str,
    mapping: dict[str, str],
    external_id: str | None,
    category_id: int | None,
    categories: dict[str, int],
    report: ImportReport,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Row]:
    """Staging rows for the features that pass; problems go to `report` as they are found."""
    frame = source.frame
    n = len(frame)
    ids = [clean_text(v) for v in frame[external_id]] if external_id else [""] * n
    if external_id:
        seen: dict[str, int] = {}
        for i, ident in enumerate(ids):
            if ident and ident in seen:
                report.add(
                    i,
                    ident,
                    f"external id already used by feature #{seen[ident]}",
                    shown=_("external id already used by feature #%(n)s") % {"n": seen[ident]},
                )
            seen.setdefault(ident, i)
    geoms = frame.geometry.values
    if spec.geometry == "point":
        geoms = _single_points(np.asarray(geoms, dtype=object), report, ids)
    srid = source.crs.to_epsg() or 0
    hexes = shapely.to_wkb(
        shapely.set_srid(np.asarray(geoms, dtype=object), srid), hex=True, include_srid=True
    )
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    off = (
        off_globe(shapely.bounds(np.asarray(geoms, dtype=object)))
        if source.crs.is_geographic
        else np.zeros(n, dtype=bool)
    )
    field_specs = {f.name: f for f in spec.fields}
    mapped = [(name, column, field_specs.get(name)) for name, column in mapping.items()]
    # ronde_id is our own export's primary key: meaningless in another database.
    skip_columns = {
        frame.geometry.name,
        "ronde_id",
        *mapping.values(),
        *([external_id] if external_id else []),
    }
    attr_columns = [c for c in frame.columns if c not in skip_columns] if spec.has_attributes else []
    columns = {c: frame[c].to_numpy(dtype=object) for c in mapping.values()}
    # Attributes are cleaned column by column and serialised by pandas (C), not row by row.
    attrs_json = (
        pd.DataFrame({c: clean_json_column(frame[c]) for c in attr_columns}, dtype=object)
        .to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
        .splitlines()
        if attr_columns
        else None
    )
    no_geometry = Note("no geometry", _("no geometry"))
    for i in range(n):
        if progress and i % 5000 == 0:
            progress(i)
        if i in source.row_problems or missing[i]:
            problem = source.row_problems.get(i) or no_geometry
            report.add(i, ids[i], problem, SKIPPED, shown=problem.shown)
            report.skipped += 1
            continue
        if off[i]:
            # One typo (a latitude of 4373) made PROJ fail the whole file with no feature named.
            coords = shapely.get_coordinates(geoms[i])
            x, y = coords[np.flatnonzero((np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90))[0]]
            report.add(
                i,
                ids[i],
                f"coordinates {x:g}, {y:g} are not a longitude and a latitude",
                shown=_("coordinates %(x)s, %(y)s are not a longitude and a latitude")
                % {"x": f"{x:g}", "y": f"{y:g}"},
            )
            continue
        fields: dict[str, Any] = {}
        bad = False
        for name, column, field_spec in mapped:
            value = columns[column][i]
            if name == "category":
                key = clean_text(value).lower()
                if not key and category_id:
                    fields["category_id"] = category_id
                elif key not in categories:
                    report.add(
                        i,
                        ids[i],
                        f"unknown category '{key}' in column '{column}'",
                        shown=_("unknown category '%(value)s' in column '%(column)s'")
                        % {"value": key, "column": column},
                    )
                    bad = True
                else:
                    fields["category_id"] = categories[key]
                continue
            try:
                cleaned = clean_value(field_spec, value)  # type: ignore[arg-type]
            except BadValue as exc:
                report.add(
                    i,
                    ids[i],
                    f"column '{column}' → {name}: {exc}",
                    shown=_("column '%(column)s' → %(field)s: %(problem)s")
                    % {"column": column, "field": name, "problem": exc.shown},
                )
                bad = True
                continue
            if cleaned is not None:
                fields[name] = cleaned
        if "category_id" not in fields and category_id:
            fields["category_id"] = category_id
        if spec.name == "zones" and not fields.get("name"):
            # A zone needs a name people can pick in a list; fall back to its id or position.
            fields["name"] = ids[i] or f"Zone {i + 1}"
            report.add(
                i,
                ids[i],
                f"empty name: named '{fields['name']}'",
                NOTE,
                shown=_("empty name: named '%(name)s'") % {"name": fields["name"]},
            )
        if fields.get("started_at") and fields.get("ended_at") and fields["ended_at"] < fields["started_at"]:
            report.add(
                i,
                ids[i],
                "ends before it starts (ended_at < started_at)",
                shown=_("ends before it starts (end date before start date)"),
            )
            bad = True
        if bad:
            continue
        yield (i, ids[i], hexes[i], json.dumps(fields), attrs_json[i] if attrs_json else "{}")
    if progress:
        progress(n)


__all__ = ["DIMENSION", "Row", "build_rows", "check_geometry_family", "geometry_types"]
