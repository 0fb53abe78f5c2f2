"""Items of a collection: parameter parsing (bbox, datetime, limit, crs) and the page query."""

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import Polygon
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Community
from core.geometry import transform_in_place, transformed
from core.params import day_in_range

from .collections import Collection
from .errors import OgcError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
# CRS the items can be written in / bboxes read in (Part 2). EPSG:4326 is left out on
# purpose: its official axis order is lat/lon, a classic source of swapped maps.
SUPPORTED_CRS = {CRS84: 4326, EPSG_URI.format(settings.RONDE_SRID): settings.RONDE_SRID}
# Decimals per CRS: degrees to 7 (≈1 cm), metres to 2 (1 cm).
PRECISION = {4326: 7, settings.RONDE_SRID: 2}
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

COMMON_PARAMS = {"f", "community"}
ITEMS_PARAMS = COMMON_PARAMS | {"bbox", "bbox-crs", "crs", "limit", "offset", "datetime"}
ITEM_PARAMS = COMMON_PARAMS | {"crs"}


def check_params(query: QueryDict, allowed: set[str]) -> None:
    """The standard: a parameter the server does not know is a 400, not silently ignored."""
    unknown = sorted(set(query.keys()) - allowed)
    if unknown:
        raise OgcError(
            400,
            "InvalidParameterValue",
            f"Unknown query parameter(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.",
        )


def crs_srid(value: str | None, name: str) -> int:
    if not value:
        return 4326
    srid = SUPPORTED_CRS.get(value.strip("<>"))
    if srid is None:
        raise OgcError(
            400, "InvalidParameterValue", f"{name}: unsupported CRS; use one of {', '.join(SUPPORTED_CRS)}."
        )
    return srid


MAX_OFFSET = 2**31 - 1  # SQL OFFSET is a bigint: 10^23 overflowed it (a 500)


def _int(value: str | None, name: str, default: int, minimum: int, maximum: int = MAX_OFFSET) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise OgcError(400, "InvalidParameterValue", f"{name}: an integer is expected.") from None
    if number < minimum:
        raise OgcError(400, "InvalidParameterValue", f"{name}: must be at least {minimum}.")
    if number > maximum:
        raise OgcError(400, "InvalidParameterValue", f"{name}: must be at most {maximum}.")
    return number


def parse_bbox(value: str, srid: int, community: Community) -> Polygon | None:
    """minx,miny,maxx,maxy (or the 6-number 3D form) in `srid` -> polygon in the storage SRID.

    A CRS84 bbox is first clipped to the territory's extent (plus 0.01°, ≈1 km): a
    whole-world bbox does not survive a projection to Lambert-93. None: nothing can match.
    """
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        raise OgcError(400, "InvalidParameterValue", "bbox: four comma-separated numbers expected.") from None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):  # float("nan") parses
        raise OgcError(400, "InvalidParameterValue", "bbox: four comma-separated numbers expected.")
    minx, miny, maxx, maxy = numbers
    if minx > maxx or miny > maxy:
        # (A bbox crossing the antimeridian has minx > maxx; no French territory does.)
        raise OgcError(400, "InvalidParameterValue", "bbox: min values must not exceed max values.")
    if srid == 4326 and not (
        -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
    ):
        raise OgcError(400, "InvalidParameterValue", "bbox: longitude/latitude out of range.")
    if srid == settings.RONDE_SRID:
        polygon = Polygon.from_bbox((minx, miny, maxx, maxy))
        polygon.srid = srid
        return polygon
    tminx, tminy, tmaxx, tmaxy = transformed(community.territory, 4326).extent
    minx, miny = max(minx, tminx - 0.01), max(miny, tminy - 0.01)
    maxx, maxy = min(maxx, tmaxx + 0.01), min(maxy, tmaxy + 0.01)
    if minx > maxx or miny > maxy:
        return None
    # Densify first (32 steps per edge): a straight edge in degrees is a curve in Lambert-93.
    steps = [i / 32 for i in range(32)]
    ring = (
        [(minx + (maxx - minx) * t, miny) for t in steps]
        + [(maxx, miny + (maxy - miny) * t) for t in steps]
        + [(maxx - (maxx - minx) * t, maxy) for t in steps]
        + [(minx, maxy - (maxy - miny) * t) for t in steps]
        + [(minx, miny)]
    )
    polygon = Polygon(ring, srid=srid)
    transform_in_place(polygon, settings.RONDE_SRID)
    return polygon


def _instant(value: str, name: str, *, end: bool) -> datetime | None:
    """One end of an interval; a bare date means its midnight (the next one for an end)."""
    if value in ("", ".."):
        return None
    moment: datetime | None = None
    try:  # parse_date raises on 2024-13-45 and 0000-01-01, the day after 9999-12-31 overflows
        if len(value) == 10:
            day = parse_date(value) if value[4:5] == "-" else None
            if day is not None and day_in_range(day):
                moment = datetime.combine(day + timedelta(days=1) if end else day, datetime.min.time())
        else:
            moment = parse_datetime(value)
            if moment is not None and not day_in_range(moment.date()):
                moment = None
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise OgcError(400, "InvalidParameterValue", f"{name}: RFC 3339 date-time or interval expected.")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def datetime_filter(value: str, path: str) -> Q:
    """datetime=instant | start/end with '..' or '' for an open end; a date means the whole day."""
    if "/" in value:
        start_raw, end_raw = value.split("/", 1)
        start, end = _instant(start_raw, "datetime", end=False), _instant(end_raw, "datetime", end=True)
        if start and end and start > end:
            raise OgcError(400, "InvalidParameterValue", "datetime: the interval ends before it starts.")
        q = Q()
        if start:
            q &= Q(**{f"{path}__gte": start})
        if end:
            # A date end is the next midnight, excluded; a date-time end is included.
            q &= Q(**{f"{path}__lt" if len(end_raw) == 10 else f"{path}__lte": end})
        return q
    if len(value) == 10:
        return Q(
            **{
                f"{path}__gte": _instant(value, "datetime", end=False),
                f"{path}__lt": _instant(value, "datetime", end=True),
            }
        )
    return Q(**{path: _instant(value, "datetime", end=False)})


@dataclass
class ItemsQuery:
    srid: int
    limit: int
    offset: int
    bbox: str | None
    bbox_srid: int
    datetime: str | None

    @classmethod
    def from_request(cls, query: QueryDict, queryables: set[str] | None = None) -> "ItemsQuery":
        """`queryables`: the collection's property names, also allowed as equality filters."""
        check_params(query, ITEMS_PARAMS | (queryables or set()))
        items = cls(
            srid=crs_srid(query.get("crs"), "crs"),
            limit=min(_int(query.get("limit"), "limit", DEFAULT_LIMIT, 1), MAX_LIMIT),
            offset=_int(query.get("offset"), "offset", 0, 0),
            bbox=query.get("bbox") or None,
            bbox_srid=crs_srid(query.get("bbox-crs"), "bbox-crs"),
            datetime=query.get("datetime") or None,
        )
        if items.datetime:
            datetime_filter(items.datetime, "checked")  # a bad value is a 400 even where it is unused
        return items


def filtered_rows(
    collection: Collection, community: Community, query: ItemsQuery, lookups: dict[str, Any] | None = None
) -> QuerySet[Any]:
    """`lookups`: ORM path -> value, the equality filters on queryables (ogc/queryables.py)."""
    qs = collection.rows(community).filter(**(lookups or {}))
    if query.bbox is not None:
        polygon = parse_bbox(query.bbox, query.bbox_srid, community)
        qs = qs.filter(geom__intersects=polygon) if polygon is not None else qs.none()
    if query.datetime and collection.temporal:
        qs = qs.filter(datetime_filter(query.datetime, collection.temporal))
    return qs.order_by("pk")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def features(qs: QuerySet[Any], collection: Collection, srid: int) -> list[dict[str, Any]]:
    """GeoJSON features, geometry written by PostGIS in `srid`."""
    rows = qs.annotate(_geojson=AsGeoJSON(Transform("geom", srid), precision=PRECISION[srid])).values(
        "pk", "_geojson", *collection.properties.values()
    )
    return [
        {
            "type": "Feature",
            "id": row["pk"],
            "geometry": json.loads(row["_geojson"]) if row["_geojson"] else None,
            "properties": {name: _plain(row[path]) for name, path in collection.properties.items()},
        }
        for row in rows
    ]
