"""What an export reads: one community's rows, the API's filters, geometry in the asked CRS.

Selectors for the export writers (CONVENTIONS §2): every query starts from the community.
Rows are fetched with a server-side cursor in chunks, so a 1M-row export stays small in memory.
"""

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.db.models.functions import AsWKB, Transform
from django.contrib.gis.geos import Polygon
from django.db.models import Model, Q, QuerySet
from pyproj import CRS
from pyproj.exceptions import CRSError

from accounts.models import Community
from core.api.filters import day_in_range

WHATS = ("assets", "zones", "reports", "interventions", "missions")
FORMATS = ("geojson", "gpkg", "shp", "csv")


class ExportError(ValueError):
    """A bad export request; `field` names the parameter at fault (400 in the web layer)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ExportSpec:
    model: type[Model]
    geom: str  # geometry field
    columns: tuple[tuple[str, str], ...]  # (output column, ORM path)
    date_field: str | None  # what date_from/date_to filter on
    has_category: bool
    has_status: bool
    has_attributes: bool


def export_spec(what: str) -> ExportSpec:
    from geo.models import Asset, Zone
    from interventions.models import Intervention, Mission, Report

    common: tuple[tuple[str, str], ...] = (("ronde_id", "pk"), ("external_id", "external_id"))
    columns: tuple[tuple[str, str], ...]
    if what == "assets":
        columns = (*common, ("name", "name"), ("category", "category__code"), ("support", "support"))
        return ExportSpec(Asset, "geom", columns, "updated_at", True, False, True)
    if what == "zones":
        return ExportSpec(
            Zone, "geom", (*common, ("name", "name"), ("kind", "kind")), "updated_at", False, False, True
        )
    if what == "reports":
        columns = (
            *common,
            ("category", "category__code"),
            ("status", "status"),
            ("source", "source"),
            ("description", "description"),
            ("address", "address"),
            ("support", "support"),
            ("offensive", "offensive"),
            ("priority", "priority"),
            ("reported_at", "reported_at"),
        )
        return ExportSpec(Report, "geom", columns, "reported_at", True, True, False)
    if what == "interventions":
        columns = (
            *common,
            ("category", "category__code"),
            ("status", "status"),
            ("support", "support"),
            ("surface_m2", "surface_m2"),
            ("method", "method"),
            ("product", "product"),
            ("offensive", "offensive"),
            ("priority", "priority"),
            ("notes", "notes"),
            ("planned_date", "planned_date"),
            ("started_at", "started_at"),
            ("ended_at", "ended_at"),
        )
        return ExportSpec(Intervention, "geom", columns, "planned_date", True, True, False)
    if what == "missions":
        columns = (
            ("ronde_id", "pk"),
            ("name", "name"),
            ("date", "date"),
            ("team", "team__name"),
            ("status", "status"),
            ("notes", "notes"),
        )
        return ExportSpec(Mission, "zone", columns, "date", False, True, False)
    raise ExportError("what", f"unknown '{what}' ({', '.join(WHATS)})")


def parse_crs(value: str | None, default: int) -> int:
    """'EPSG:2154', '2154' or None -> an EPSG code PostGIS knows."""
    if not value:
        return default
    text = value.strip().upper().removeprefix("EPSG:")
    try:
        code = int(text)
        CRS.from_epsg(code)
    except (ValueError, CRSError) as exc:
        raise ExportError("crs", f"'{value}' is not an EPSG code such as EPSG:2154") from exc
    return code


def _date(field: str, value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ExportError(field, f"'{value}' is not a date (YYYY-MM-DD)") from exc
    if not day_in_range(day):
        raise ExportError(field, f"'{value}' is not between 1900-01-01 and 2999-12-31")
    return day


def export_queryset(*, community: Community, what: str, filters: dict[str, str]) -> QuerySet:
    """The rows to export, scoped to `community`, with the API's filters (bbox in EPSG:4326)."""
    spec = export_spec(what)
    qs = spec.model._default_manager.filter(community=community)
    if filters.get("category"):
        if not spec.has_category:
            raise ExportError("category", f"{what} have no category")
        codes = [c.strip() for c in filters["category"].split(",") if c.strip()]
        ids = [int(c) for c in codes if c.isascii() and c.isdigit()]  # "²".isdigit() is True
        category_model = cast(type[Model], spec.model._meta.get_field("category").related_model)
        categories = category_model._default_manager.filter(community=community)
        found = categories.filter(Q(code__in=codes) | Q(id__in=ids)).values_list("code", "id")
        known = {str(v) for pair in found for v in pair}
        unknown = [c for c in codes if c not in known]
        if unknown:  # a typo must not export an empty file as if nothing matched
            raise ExportError("category", f"unknown category {', '.join(unknown)}")
        qs = qs.filter(Q(category__code__in=codes) | Q(category_id__in=ids))
    if filters.get("status"):
        if not spec.has_status:
            raise ExportError("status", f"{what} have no status")
        qs = qs.filter(status__in=[s.strip() for s in filters["status"].split(",")])
    if spec.date_field:
        is_datetime = spec.date_field.endswith("_at")
        lookup = f"{spec.date_field}__date" if is_datetime else spec.date_field
        if filters.get("date_from"):
            qs = qs.filter(**{f"{lookup}__gte": _date("date_from", filters["date_from"])})
        if filters.get("date_to"):
            qs = qs.filter(**{f"{lookup}__lte": _date("date_to", filters["date_to"])})
    if filters.get("bbox"):
        try:
            minx, miny, maxx, maxy = (float(v) for v in filters["bbox"].split(","))
        except ValueError as exc:
            raise ExportError("bbox", "expected minx,miny,maxx,maxy in EPSG:4326") from exc
        if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):  # float("nan") parses
            raise ExportError("bbox", "expected four finite numbers minx,miny,maxx,maxy in EPSG:4326")
        if minx >= maxx or miny >= maxy:
            raise ExportError("bbox", "min must be below max")
        box = Polygon.from_bbox((minx, miny, maxx, maxy))
        box.srid = settings.RONDE_API_SRID
        box.transform(settings.RONDE_SRID)  # compare in the storage SRID (index on geom)
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
