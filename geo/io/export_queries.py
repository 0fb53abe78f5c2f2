"""What an export reads: one community's rows, the API's filters, geometry in the asked CRS.

Bad requests raise core.params.ParamError naming the parameter. Selectors for the export writers: every query starts from the community.
Rows are fetched with a server-side cursor in chunks, so a 1M-row export stays small in memory.
"""

import math
from collections.abc import Iterator
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.db.models.functions import AsWKB, Transform
from django.contrib.gis.geos import Polygon
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from pyproj import CRS
from pyproj.exceptions import CRSError

from accounts.models import Community
from core.geometry import NotProjectable, transform_in_place
from core.params import ParamError, is_id, parse_date_range

from .targets import ExportSpec, export_target, export_target_names

FORMATS = ("geojson", "gpkg", "shp", "csv")


def _bbox_expected() -> str:  # one message, in the caller's language
    return _("bbox: expected four numbers minx,miny,maxx,maxy (longitude, latitude in EPSG:4326).")


def export_spec(what: str) -> ExportSpec:
    """The registered export target `what` (apps register theirs from AppConfig.ready())."""
    spec = export_target(what)
    if spec is None:
        raise ParamError(
            "what",
            _("what: unknown data '%(what)s' (%(known)s).")
            % {"what": what, "known": ", ".join(export_target_names())},
        )
    return spec


def parse_crs(value: str | None, default: int) -> int:
    """'EPSG:2154', '2154' or None -> an EPSG code PostGIS knows."""
    if not value:
        return default
    text = value.strip().upper().removeprefix("EPSG:")
    try:
        code = int(text)
        CRS.from_epsg(code)
    except (ValueError, CRSError) as exc:
        raise ParamError(
            "crs", _("crs: '%(value)s' is not an EPSG code such as EPSG:2154.") % {"value": value}
        ) from exc
    return code


def export_queryset(*, community: Community, what: str, filters: dict[str, str]) -> QuerySet:
    """The rows to export, scoped to `community`, with the API's filters (bbox in EPSG:4326)."""
    spec = export_spec(what)
    qs = spec.model._default_manager.filter(community=community)
    if filters.get("category"):
        if not spec.has_category:
            raise ParamError("category", _("category: %(what)s have no category.") % {"what": what})
        codes = [c.strip() for c in filters["category"].split(",") if c.strip()]
        ids = [int(c) for c in codes if is_id(c)]
        category_model = cast(type[Model], spec.model._meta.get_field("category").related_model)
        categories = category_model._default_manager.filter(community=community)
        found = categories.filter(Q(code__in=codes) | Q(id__in=ids)).values_list("code", "id")
        known = {str(v) for pair in found for v in pair}
        unknown = [c for c in codes if c not in known]
        if unknown:  # a typo must not export an empty file as if nothing matched
            raise ParamError(
                "category", _("category: unknown category %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        qs = qs.filter(Q(category__code__in=codes) | Q(category_id__in=ids))
    if filters.get("status"):
        if not spec.has_status:
            raise ParamError("status", _("status: %(what)s have no status.") % {"what": what})
        qs = qs.filter(status__in=[s.strip() for s in filters["status"].split(",")])
    if spec.date_field:
        is_datetime = spec.date_field.endswith("_at")
        lookup = f"{spec.date_field}__date" if is_datetime else spec.date_field
        date_from, date_to = parse_date_range(filters, next_day=False)  # compared as days
        if date_from:
            qs = qs.filter(**{f"{lookup}__gte": date_from})
        if date_to:
            qs = qs.filter(**{f"{lookup}__lte": date_to})
    if filters.get("bbox"):
        try:
            minx, miny, maxx, maxy = (float(v) for v in filters["bbox"].split(","))
        except ValueError as exc:
            raise ParamError("bbox", _bbox_expected()) from exc
        if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):  # float("nan") parses
            raise ParamError("bbox", _bbox_expected())
        if minx >= maxx or miny >= maxy:
            raise ParamError(
                "bbox", _("bbox: the minimum longitude and latitude must be below the maximum ones.")
            )
        box = Polygon.from_bbox((minx, miny, maxx, maxy))
        box.srid = settings.RONDE_API_SRID
        try:
            transform_in_place(box, settings.RONDE_SRID)  # compare in the storage SRID (index on geom)
        except NotProjectable as exc:  # reaching a pole
            raise ParamError("bbox", exc.text) from exc
        qs = qs.filter(**{f"{spec.geom}__intersects": box})
    return qs.order_by("pk")


def export_rows(
    qs: QuerySet, *, what: str, srid: int, chunk_size: int = 5000
) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
    """Chunks of (column names, rows); each row ends with the geometry as WKB in `srid`."""
    spec = export_spec(what)
    paths = [path for _name, path in spec.columns]
    if spec.has_attributes:
        paths.append("attributes")
    values = qs.annotate(export_wkb=AsWKB(Transform(spec.geom, srid))).values_list(*paths, "export_wkb")
    names = [name for name, _path in spec.columns]
    chunk: list[tuple[Any, ...]] = []
    for row in values.iterator(chunk_size=chunk_size):
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield names, chunk
            chunk = []
    if chunk:
        yield names, chunk
