"""Our models as GeoReport v2 objects (plain dicts, written as JSON or XML by formats.py)."""

from datetime import datetime, time
from typing import Any, cast
from xml.etree import ElementTree as ET  # noqa: S405 - registers a prefix for the XML we write

from django.contrib.gis.geos import Point
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.geometry import transformed
from geo.models import Support
from interventions.models import Category, PhotoStatus, Report
from interventions.photo_access import photo_url

from .statuses import Open311Status, open311_status


def w3c(value: datetime | None) -> str | None:
    """W3C datetime with the local offset, e.g. 2025-03-04T09:30:00+01:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def service_attributes(category: Category) -> list[dict[str, Any]]:
    """The attribute[...] a POST may carry for this service (none is required)."""
    attributes: list[dict[str, Any]] = [
        {
            "variable": True,
            "code": "support",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 1,
            "description": _("What the problem is on (wall, door, shutter…)"),
            "values": [{"key": value, "name": str(label)} for value, label in Support.choices],
        }
    ]
    if category.is_tag:
        attributes.append(
            {
                "variable": True,
                "code": "offensive",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 2,
                "description": _("Is the content offensive (insults, hate symbols)?"),
                "values": [{"key": "true", "name": _("Yes")}, {"key": "false", "name": _("No")}],
            }
        )
    return attributes


def service_dict(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": True,  # every service has at least the `support` attribute
        "type": "realtime",  # a POST creates the report at once
        "keywords": "tag,graffiti" if category.is_tag else "",
        "group": _("Graffiti") if category.is_tag else _("Public space"),
    }


def service_definition_dict(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": service_attributes(category)}


def report_status(report: Report) -> Open311Status:
    """Needs the annotations of selectors.requests_visible (latest intervention)."""
    return open311_status(
        report_status=report.status,
        intervention_status=getattr(report, "iv_status", None),
        not_done_reason=getattr(report, "iv_reason", "") or "",
        planned_date=getattr(report, "iv_planned", None),
    )


def _media_url(report: Report, request: HttpRequest) -> str | None:
    # Processed photos only (a pending one has no file yet: the partner's own URL meanwhile).
    photos = [p for p in report.photos.all() if p.status == PhotoStatus.READY]
    if photos:
        # A partner app shows it without our credentials: a signed link that expires.
        return request.build_absolute_uri(photo_url(photos[0], signed=True))
    extra = getattr(report, "open311", None)
    return (extra.media_url if extra else "") or None


# Our finer status is an extension: the spec's XML element list has no `extended_status`, so in
# XML it lives in Ronde's namespace (strict consumers skip foreign-namespace elements); JSON
# consumers ignore an unknown member.
EXTENSION_NS = "https://ronde.fr/ns/open311"
ET.register_namespace("ronde", EXTENSION_NS)


def request_for_format(row: dict[str, Any], fmt: str) -> dict[str, Any]:
    """request_dict's row as written in `fmt`: in XML, the extension under its namespace."""
    if fmt != "xml" or "extended_status" not in row:
        return row
    return {(f"{{{EXTENSION_NS}}}{k}" if k == "extended_status" else k): v for k, v in row.items()}


def request_dict(report: Report, request: HttpRequest, status: Open311Status | None = None) -> dict[str, Any]:
    status = status or report_status(report)
    updated = max(filter(None, [report.updated_at, getattr(report, "iv_updated", None)]))
    planned = getattr(report, "iv_planned", None)
    point = cast(Point, getattr(report, "geom_wgs84", None) or transformed(report.geom, 4326))
    return {
        "service_request_id": str(report.pk),
        "status": status.status,
        "extended_status": status.extended,
        "status_notes": status.notes,
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.community.name,
        "service_notice": "",
        "requested_datetime": w3c(report.reported_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(timezone.make_aware(datetime.combine(planned, time()))) if planned else None,
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": round(point.y, 7),
        "long": round(point.x, 7),
        "media_url": _media_url(report, request),
    }
