"""Query-string filters shared by the GeoJSON endpoints; every bad value is a 400 naming it.

bbox is given in EPSG:4326 and transformed here, never per row, so the query uses a
GiST index (ST_Intersects starts with the && operator). Layers with a stored Web
Mercator copy (`geom_3857`: assets, reports, interventions) are filtered on it: a
lon/lat rectangle is exactly a rectangle in EPSG:3857, five vertices, cheap and exact.
Others (zones) are filtered on `geom` in the storage SRID with a densified polygon.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import LinearRing, Polygon
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from accounts.models import Community
from core import params as query_params
from core.geometry import transform_in_place

# Points per bbox edge, sampled in degrees before the transform: a parallel is a curve in
# Lambert-93, so four corners alone would let a point just outside (by centimetres) in.
BBOX_EDGE_POINTS = 64
WEB_MERCATOR = 3857
MERCATOR_MAX_LAT = 85.05112878  # degrees


def parse_bbox(raw: str, *, srid: int | None = None) -> Polygon:
    """`minlon,minlat,maxlon,maxlat` (EPSG:4326) -> a polygon in `srid` (default: storage SRID)."""
    srid = srid or settings.RONDE_SRID
    parts = raw.split(",")
    if len(parts) != 4:
        raise ValidationError(
            {"bbox": [_("Expected four numbers: minlon,minlat,maxlon,maxlat (EPSG:4326).")]}
        )
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError as exc:
        raise ValidationError({"bbox": [_("Expected four numbers: minlon,minlat,maxlon,maxlat.")]}) from exc
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ValidationError(
            {"bbox": [_("Expected minlon,minlat,maxlon,maxlat in degrees (EPSG:4326), with min < max.")]}
        )
    if srid == WEB_MERCATOR:
        # Mercator is undefined at the poles; clamp to its square world.
        miny, maxy = max(miny, -MERCATOR_MAX_LAT), min(maxy, MERCATOR_MAX_LAT)
        if miny >= maxy:
            raise ValidationError({"bbox": [_("This bbox is outside the map (latitudes beyond ±85°).")]})
        corners = Polygon.from_bbox((minx, miny, maxx, maxy))
        corners.srid = settings.RONDE_API_SRID
        transform_in_place(corners, WEB_MERCATOR)
        rectangle = Polygon.from_bbox(corners.extent)
        rectangle.srid = WEB_MERCATOR
        return rectangle
    n = BBOX_EDGE_POINTS
    xs = [minx + (maxx - minx) * i / n for i in range(n)]
    ys = [miny + (maxy - miny) * i / n for i in range(n)]
    ring = (
        [(x, miny) for x in xs]
        + [(maxx, y) for y in ys]
        + [(maxx - (x - minx), maxy) for x in xs]
        + [(minx, maxy - (y - miny)) for y in ys]
        + [(minx, miny)]
    )
    polygon = Polygon(LinearRing(ring), srid=settings.RONDE_API_SRID)
    try:
        transform_in_place(polygon, srid)
    except Exception as exc:  # GDAL/PROJ failure: the box is outside the projection's domain
        raise ValidationError({"bbox": [_("This bbox cannot be projected to the storage CRS.")]}) from exc
    return polygon


def parse_list(raw: str, *, name: str, allowed: Iterable[str]) -> list[str]:
    """A comma list whose items must all be in `allowed`."""
    allowed = list(allowed)
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if not values:
        raise ValidationError({name: [_("Expected one value or a comma-separated list.")]})
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError(
            {
                name: [
                    _("Unknown value(s) {unknown}; expected one of {allowed}.").format(
                        unknown=", ".join(unknown), allowed=", ".join(allowed)
                    )
                ]
            }
        )
    return values


# Dates a page or a tile may be asked for. Beyond, "the next day" of 9999-12-31 overflows and
# a local midnight of year 1 has no UTC instant: a 400 naming the field, not a 500. (The REST
# list filters below take 9999-12-31 as "no bound" instead: tests/api/test_schemathesis_findings.)
def parse_date(raw: str, *, name: str) -> dt.date:
    """The API's face of core.params.parse_date: a DRF 400 naming the field."""
    try:
        return query_params.parse_date(name, raw)
    except query_params.ParamError as exc:
        raise ValidationError({name: [_("Expected an ISO date, YYYY-MM-DD.")]}) from exc


def parse_id(raw: str, *, name: str) -> int:
    """The API's face of core.params.parse_id: a DRF 400 naming the field."""
    try:
        return query_params.parse_id(name, raw)
    except query_params.ParamError as exc:
        raise ValidationError({name: [_("Expected a positive integer id.")]}) from exc


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the site's time zone (Europe/Paris by default)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class FilterSpec:
    """Which filters a resource takes and which model fields they apply to."""

    category_model: type[Model] | None = None
    statuses: tuple[str, ...] = ()
    # Date fields date_from/date_to may apply to; the first one is the default.
    date_fields: tuple[str, ...] = ()
    # The model whose rows `zone=<id>` names (the caller's community's zones); None: no zone filter.
    zone_model: type[Model] | None = None
    date_field_param: bool = False
    # Column the bbox applies to: `geom_3857` where the model stores one (see above).
    bbox_field: str = "geom"


def filter_parameters(spec: FilterSpec) -> list[OpenApiParameter]:
    """The OpenAPI description of the filters a FilterSpec accepts."""
    params = [
        OpenApiParameter(
            "bbox",
            OpenApiTypes.STR,
            description="minlon,minlat,maxlon,maxlat in EPSG:4326; features intersecting the box.",
        ),
    ]
    if spec.category_model is not None:
        params.append(
            OpenApiParameter("category", OpenApiTypes.STR, description="Category code(s), comma list.")
        )
    if spec.statuses:
        params.append(
            OpenApiParameter(
                "status", OpenApiTypes.STR, description=f"Comma list of: {', '.join(spec.statuses)}."
            )
        )
    if spec.date_fields:
        which = " or ".join(spec.date_fields)
        params += [
            OpenApiParameter(
                "date_from", OpenApiTypes.DATE, description=f"On or after this day ({which}), inclusive."
            ),
            OpenApiParameter(
                "date_to", OpenApiTypes.DATE, description=f"On or before this day ({which}), inclusive."
            ),
        ]
    if spec.date_field_param:
        params.append(
            OpenApiParameter(
                "date_field",
                OpenApiTypes.STR,
                enum=list(spec.date_fields),
                description=f"Which date date_from/date_to apply to (default {spec.date_fields[0]}).",
            )
        )
    if spec.zone_model is not None:
        params.append(OpenApiParameter("zone", OpenApiTypes.INT, description="Zone id: features inside it."))
    return params


def apply_filters(
    qs: QuerySet[Any], *, params: Any, spec: FilterSpec, community: Community, geom_field: str = "geom"
) -> QuerySet[Any]:
    """Apply the query-string filters in `params` that `spec` allows, validating each."""
    if raw := params.get("bbox"):
        srid = WEB_MERCATOR if spec.bbox_field == "geom_3857" else settings.RONDE_SRID
        qs = qs.filter(**{f"{spec.bbox_field}__intersects": parse_bbox(raw, srid=srid)})
    if spec.category_model is not None and (raw := params.get("category")):
        known = spec.category_model._default_manager.filter(community=community).values_list(
            "code", flat=True
        )
        codes = [c.strip() for c in raw.split(",") if c.strip()]
        # PostgreSQL text cannot hold a NUL byte (the query would fail): no code has one.
        unknown = sorted(set(codes) - set(known.filter(code__in=[c for c in codes if "\x00" not in c])))
        if not codes or unknown:
            raise ValidationError(
                {"category": [_("unknown category: {codes}.").format(codes=", ".join(unknown) or repr(raw))]}
            )
        qs = qs.filter(category__code__in=codes)
    if spec.statuses and (raw := params.get("status")):
        qs = qs.filter(status__in=parse_list(raw, name="status", allowed=spec.statuses))
    if spec.date_fields:
        date_field = spec.date_fields[0]
        if spec.date_field_param and (raw := params.get("date_field")):
            date_field = parse_list(raw, name="date_field", allowed=spec.date_fields)[0]
        is_datetime = date_field.endswith("_at")
        date_from = parse_date(params["date_from"], name="date_from") if params.get("date_from") else None
        date_to = parse_date(params["date_to"], name="date_to") if params.get("date_to") else None
        if date_from and date_to and date_from > date_to:
            raise ValidationError({"date_to": [_("date_to is before date_from.")]})
        if date_from:
            qs = qs.filter(**{f"{date_field}__gte": day_start(date_from) if is_datetime else date_from})
        if date_to:
            if not is_datetime:
                qs = qs.filter(**{f"{date_field}__lte": date_to})
            elif date_to < dt.date.max:  # up to 9999-12-31 is no bound: that day has no day after
                qs = qs.filter(**{f"{date_field}__lt": day_start(date_to + dt.timedelta(days=1))})
    if spec.zone_model is not None and (raw := params.get("zone")):
        zone_id = parse_id(raw, name="zone")
        zone = spec.zone_model._default_manager.filter(community=community, pk=zone_id).only("geom").first()
        if zone is None:
            raise ValidationError(
                {"zone": [_("unknown zone: no zone {id} in your community.").format(id=zone_id)]}
            )
        qs = qs.filter(**{f"{geom_field}__intersects": getattr(zone, "geom")})  # noqa: B009 (any zone model: only its geom)
    return qs
