"""Open311 GeoReport v2 endpoints: thin views over selectors/services, JSON or XML.

Every error, including a bad URL inside /open311/v2/, answers in the spec's error format.
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db.models import CharField
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.models import Community
from core.geometry import transform_in_place
from core.params import day_in_range
from interventions.models import Open311Request, PartnerApiKey

from . import selectors, serializers, services
from .formats import Open311Error, render, render_error
from .statuses import EXTENDED

View = Callable[..., HttpResponse]


def open311_view(view: View) -> View:
    """Turn Open311Error into the spec's error list, in the requested format."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as error:
            return render_error(fmt, error)

    return wrapper


def _param(request: HttpRequest, name: str) -> str:
    # A POST carries its fields in the form body; some clients put api_key in the query string.
    value = request.POST.get(name) if request.method == "POST" else None
    value = (value or request.GET.get(name) or "").strip()
    if "\x00" in value:  # PostgreSQL text cannot hold it: a 400 here, not a 500 at the INSERT
        raise Open311Error(400, f"{name}: contains a NUL character.")
    return value


def _partner(request: HttpRequest, *, required: bool) -> PartnerApiKey | None:
    """The caller's partner key (api_key parameter), rate-limited; 403/429 in the spec format."""
    key = _param(request, "api_key")
    if not key:
        if required:
            raise Open311Error(403, "api_key: required.")
        return None
    partner = selectors.partner_key_get(key=key)
    if partner is None:
        raise Open311Error(403, "api_key: invalid or revoked key.")
    if services.partner_key_throttle(partner=partner):
        raise Open311Error(429, f"api_key: rate limit of {partner.rate_limit} requests per minute exceeded.")
    return partner


def _community(request: HttpRequest, partner: PartnerApiKey | None) -> Community:
    return selectors.community_for_jurisdiction(
        jurisdiction_id=_param(request, "jurisdiction_id"), partner=partner
    )


def _may_read_requests(community: Community, partner: PartnerApiKey | None) -> None:
    # GeoReport v2: GET Service Requests "Requires API Key: No". Open by default (public
    # categories only, no personal data: serializers.request_dict); a community may close
    # them (settings["open311_public_requests"] = false); partner apps always see them.
    if partner is None and not community.settings.get("open311_public_requests", True):
        raise Open311Error(403, "api_key: required to read requests in this jurisdiction.")


@require_GET
@open311_view
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    url = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0]
    changeset = "2025-01-01T00:00:00Z"
    body = {
        "changeset": changeset,
        "contact": "Ronde — see the community's website for its contact details.",
        "key_service": "API keys are issued by each community's administrator.",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": url,
                "changeset": changeset,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(fmt, body, root="discovery")


@require_GET
@open311_view
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    community = _community(request, _partner(request, required=False))
    services_ = [serializers.service_dict(c) for c in selectors.services_for_community(community=community)]
    return render(fmt, services_, root="services", item="service")


@require_GET
@open311_view
def service_definition(request: HttpRequest, *, code: str, fmt: str) -> HttpResponse:
    community = _community(request, _partner(request, required=False))
    category = selectors.service_get(community=community, code=code)
    return render(fmt, serializers.service_definition_dict(category), root="service_definition")


def _parse_when(request: HttpRequest, name: str) -> datetime | None:
    raw = _param(request, name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+"))  # a '+' offset left unescaped arrives as a space
        if value is None and (day := parse_date(raw)) is not None:
            value = datetime.combine(day, datetime.min.time())
    except ValueError:
        value = None
    if value is None or not day_in_range(value.date()):  # 9999-12-31 overflows a span
        raise Open311Error(400, f"{name}: not a W3C datetime (e.g. 2025-03-04T09:30:00+01:00).")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _csv(request: HttpRequest, name: str) -> list[str]:
    return [part.strip() for part in _param(request, name).split(",") if part.strip()]


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    partner = _partner(request, required=False)
    community = _community(request, partner)
    _may_read_requests(community, partner)
    raw_ids = _csv(request, "service_request_id")
    if not all(part.isascii() and part.isdigit() for part in raw_ids):  # "²".isdigit() is True
        raise Open311Error(400, "service_request_id: a comma-separated list of numeric ids.")
    statuses = _csv(request, "status")
    unknown = [s for s in statuses if s not in ("open", "closed", *EXTENDED)]
    if unknown:
        raise Open311Error(400, f"status: unknown value(s) {', '.join(unknown)}; use open or closed.")
    reports = selectors.requests_search(
        community=community,
        ids=[int(part) for part in raw_ids],
        service_codes=_csv(request, "service_code"),
        start=_parse_when(request, "start_date"),
        end=_parse_when(request, "end_date"),
    )
    rows: list[dict[str, Any]] = []
    for report in reports.iterator(chunk_size=200):
        status = serializers.report_status(report)
        if statuses and status.status not in statuses and status.extended not in statuses:
            continue
        rows.append(serializers.request_for_format(serializers.request_dict(report, request, status), fmt))
        if len(rows) >= selectors.MAX_ROWS:
            break
    return render(fmt, rows, root="service_requests", item="request")


def _attributes(request: HttpRequest, allowed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """attribute[code]=value (and attribute[code][]=v for multi-value lists)."""
    values: dict[str, Any] = {}
    for name, posted in request.POST.lists():
        if not name.startswith("attribute["):
            continue
        code = name[len("attribute[") :].split("]", 1)[0]
        if not code:
            raise Open311Error(400, f"{name}: an attribute code is expected inside the brackets.")
        # Attributes we do not define are kept, not refused: clients such as FixMyStreet add
        # their own (report_url, title…); only the values of ours are checked.
        definition = allowed.get(code, {})
        keys = {v["key"] for v in definition.get("values", [])}
        for value in posted:
            if keys and value not in keys:
                raise Open311Error(
                    400, f"attribute[{code}]: '{value}' is not one of {', '.join(sorted(keys))}."
                )
        values[code] = posted if name.endswith("[]") else posted[-1]
    return values


def _position(request: HttpRequest, community: Community) -> Point:
    lat, lon = _param(request, "lat"), _param(request, "long")
    if not lat and not lon:
        if _param(request, "address_string") or _param(request, "address_id"):
            raise Open311Error(400, "lat/long: required; this server does not geocode address_string.")
        raise Open311Error(400, "lat/long: required (WGS84 decimal degrees).")
    try:
        y, x = float(lat), float(lon)
    except ValueError:
        raise Open311Error(400, "lat/long: decimal degrees expected.") from None
    if not (-90 <= y <= 90 and -180 <= x <= 180):
        raise Open311Error(400, "lat/long: out of range.")
    point = Point(x, y, srid=4326)
    transform_in_place(point, settings.RONDE_SRID)
    if not community.territory.intersects(point):
        raise Open311Error(400, "lat/long: outside the territory of this jurisdiction.")
    return point


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    partner = _partner(request, required=True)
    community = _community(request, partner)
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, "service_code: required.")
    category = selectors.service_get(community=community, code=code)
    geom = _position(request, community)
    description = _param(request, "description")
    if len(description) > 4000:  # the spec's limit
        raise Open311Error(400, "description: at most 4,000 characters.")
    media_url = _param(request, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, "media_url: not an http(s) URL.") from None
    contact = {
        f: _param(request, f)
        for f in ("email", "first_name", "last_name", "phone", "device_id", "account_id")
    }
    for name, value in contact.items():  # the columns are shorter than the old 200-character cut
        limit = cast(CharField, Open311Request._meta.get_field(name)).max_length
        if limit is not None and len(value) > limit:
            raise Open311Error(400, f"{name}: at most {limit} characters.")
    if contact["email"]:
        try:
            EmailValidator()(contact["email"])
        except ValidationError:
            raise Open311Error(400, "email: not a valid address.") from None
    definitions = {a["code"]: a for a in serializers.service_attributes(category)}
    attributes = _attributes(request, definitions)
    submission = services.Open311Submission(
        category=category,
        geom=geom,
        description=description,
        address=_param(request, "address_string")[:300],
        support=attributes.get("support", ""),
        offensive=attributes.get("offensive") == "true",
        media_url=media_url,
        contact=contact,
        attributes=attributes,
    )
    report = services.open311_report_create(community=community, partner=partner, submission=submission)
    body = [
        {
            "service_request_id": str(report.pk),
            "token": str(report.open311.token),  # type: ignore[attr-defined]
            "service_notice": "",
            "account_id": contact["account_id"] or None,
        }
    ]
    # 200, as the spec documents for POST Service Request (not 201).
    return render(fmt, body, root="service_requests", item="request")


@csrf_exempt
@open311_view
def requests_(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    if request.method in ("GET", "HEAD"):
        return _list_requests(request, fmt)
    raise Open311Error(405, "Only GET and POST are allowed here.")


@require_GET
@open311_view
def request_detail(request: HttpRequest, *, request_id: int, fmt: str) -> HttpResponse:
    partner = _partner(request, required=False)
    community = _community(request, partner)
    _may_read_requests(community, partner)
    report = selectors.requests_visible(community=community).filter(pk=request_id).first()
    if report is None:
        raise Open311Error(404, f"service_request_id: no request {request_id} in this jurisdiction.")
    row = serializers.request_for_format(serializers.request_dict(report, request), fmt)
    return render(fmt, [row], root="service_requests", item="request")


@require_GET
@open311_view
def token_detail(request: HttpRequest, *, token: str, fmt: str) -> HttpResponse:
    partner = _partner(request, required=False)
    community = _community(request, partner)
    report = selectors.request_by_token(community=community, token=token)
    if report is None:  # also for a token that is not a UUID
        raise Open311Error(404, f"token: unknown token '{token}'.")
    body = [{"service_request_id": str(report.pk), "token": token}]
    return render(fmt, body, root="service_requests", item="request")


@open311_view
def not_found(request: HttpRequest, *, fmt: str = "json", path: str = "") -> HttpResponse:
    raise Open311Error(404, "No such Open311 endpoint (see discovery.json).")
