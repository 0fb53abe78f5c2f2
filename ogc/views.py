"""OGC API – Features endpoints: JSON (GeoJSON for features) or HTML, read only."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.basic import challenge
from accounts.models import Community
from core.geometry import transformed

from .access import caller_get
from .collections import Collection
from .errors import OgcError
from .features import (
    COMMON_PARAMS,
    CRS84,
    EPSG_URI,
    ITEM_PARAMS,
    SUPPORTED_CRS,
    ItemsQuery,
    check_params,
    crs_srid,
    features,
    filtered_rows,
)
from .openapi import openapi_document
from .queryables import property_filters, queryable_properties, queryables_document

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
HTML = "text/html"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

View = Callable[..., HttpResponse]


def _format(request: HttpRequest) -> str:
    """f=json|html wins; else HTML for browsers (Accept: text/html), JSON for the rest."""
    f = request.GET.get("f")
    if f:
        if f not in ("json", "html"):
            raise OgcError(400, "InvalidParameterValue", "f: use json or html.")
        return f
    return "html" if HTML in request.META.get("HTTP_ACCEPT", "") else "json"


def ogc_view(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except OgcError as error:
            response = JsonResponse(
                {"code": error.code, "description": error.description}, status=error.status
            )
            if error.status == 401:
                challenge(response)  # Basic (GDAL USERPWD, QGIS) or `Authorization: Token`
            return response
        except Http404 as error:
            return JsonResponse({"code": "NotFound", "description": str(error)}, status=404)

    return require_safe(wrapper)


def _url(request: HttpRequest, name: str, *args: Any, **params: Any) -> str:
    """Absolute URL of an /ogc/ endpoint, keeping the caller's ?community= (tenancy)."""
    query = {k: v for k, v in params.items() if v is not None}
    if request.GET.get("community"):
        query = {"community": request.GET["community"], **query}
    url = request.build_absolute_uri(reverse(f"ogc:{name}", args=args))
    return f"{url}?{urlencode(query)}" if query else url


def _link(href: str, rel: str, type_: str, title: str = "") -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _self_links(
    request: HttpRequest, name: str, *args: Any, fmt: str, json_type: str = JSON
) -> list[dict[str, str]]:
    json_link = _url(request, name, *args, f="json")
    html_link = _url(request, name, *args, f="html")
    if fmt == "html":
        return [_link(html_link, "self", HTML), _link(json_link, "alternate", json_type, "JSON")]
    return [_link(json_link, "self", json_type), _link(html_link, "alternate", HTML, "HTML")]


def _respond(
    request: HttpRequest,
    fmt: str,
    body: dict[str, Any],
    template: str,
    content_type: str = JSON,
    **context: Any,
) -> HttpResponse:
    if fmt == "html":
        return render(request, template, {"body": body, **context})
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type=content_type)


def _extent(community: Community) -> list[float]:
    return [round(v, 6) for v in transformed(community.territory, 4326).extent]


def _collection_dict(request: HttpRequest, collection: Collection, community: Community) -> dict[str, Any]:
    return {
        "id": collection.id,
        "title": str(collection.title),
        "description": collection.description,
        "itemType": "feature",
        "links": [
            _link(_url(request, "collection", collection.id, f="json"), "self", JSON),
            _link(_url(request, "collection", collection.id, f="html"), "alternate", HTML),
            _link(_url(request, "items", collection.id, f="json"), "items", GEOJSON, "Features (GeoJSON)"),
            _link(_url(request, "items", collection.id, f="html"), "items", HTML, "Features (HTML)"),
            _link(_url(request, "queryables", collection.id), QUERYABLES_REL, SCHEMA_JSON, "Queryables"),
        ],
        "extent": {
            "spatial": {"bbox": [_extent(community)], "crs": CRS84},
            "temporal": {
                "interval": [[None, None]],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            },
        },
        "crs": list(SUPPORTED_CRS),
        "storageCrs": EPSG_URI.format(settings.RONDE_SRID),
    }


@ogc_view
def landing(request: HttpRequest) -> HttpResponse:
    check_params(request.GET, COMMON_PARAMS)
    fmt = _format(request)
    caller = caller_get(request, required=False)
    title = f"Ronde – {caller.community.name}" if caller.community else "Ronde"
    body = {
        "title": title,
        "description": "OGC API – Features: assets, zones, reports and interventions. "
        "GDAL/QGIS: ask for 1,000 features a page (GDAL: -oo PAGE_SIZE=1000; QGIS: page size 1000 in "
        "the connection); GDAL's default of 10 makes a layer hundreds of requests long.",
        "links": [
            *_self_links(request, "landing", fmt=fmt),
            _link(_url(request, "api", f="json"), "service-desc", OPENAPI, "OpenAPI 3.0"),
            _link(_url(request, "api", f="html"), "service-doc", HTML, "API documentation"),
            _link(_url(request, "conformance", f="json"), "conformance", JSON, "Conformance"),
            _link(_url(request, "collections", f="json"), "data", JSON, "Collections"),
        ],
    }
    return _respond(request, fmt, body, "ogc/landing.html", caller=caller)


@ogc_view
def conformance(request: HttpRequest) -> HttpResponse:
    check_params(request.GET, COMMON_PARAMS)
    fmt = _format(request)
    body = {"links": _self_links(request, "conformance", fmt=fmt), "conformsTo": CONFORMANCE}
    return _respond(request, fmt, body, "ogc/conformance.html")


@ogc_view
def api(request: HttpRequest) -> HttpResponse:
    check_params(request.GET, COMMON_PARAMS)
    fmt = _format(request)
    document = openapi_document(request.build_absolute_uri(reverse("ogc:landing")).rstrip("/"))
    return _respond(request, fmt, document, "ogc/api.html", content_type=OPENAPI)


@ogc_view
def collections(request: HttpRequest) -> HttpResponse:
    check_params(request.GET, COMMON_PARAMS)
    fmt = _format(request)
    caller = caller_get(request)
    community = caller.community
    body = {
        "links": _self_links(request, "collections", fmt=fmt),
        "collections": [_collection_dict(request, c, community) for c in caller.collections()]
        if community
        else [],
        "crs": list(SUPPORTED_CRS),
    }
    return _respond(request, fmt, body, "ogc/collections.html", caller=caller)


@ogc_view
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    check_params(request.GET, COMMON_PARAMS)
    fmt = _format(request)
    caller = caller_get(request)
    found = caller.collection(collection_id)
    assert caller.community is not None  # a collection implies a community
    body = _collection_dict(request, found, caller.community)
    return _respond(request, fmt, body, "ogc/collection.html")


@ogc_view
def queryables(request: HttpRequest, collection_id: str) -> HttpResponse:
    check_params(request.GET, COMMON_PARAMS)
    fmt = _format(request)
    caller = caller_get(request)
    found = caller.collection(collection_id)
    assert caller.community is not None
    body = queryables_document(found, caller.community, _url(request, "queryables", collection_id))
    return _respond(request, fmt, body, "ogc/queryables.html", content_type=SCHEMA_JSON, collection=found)


@ogc_view
def items(request: HttpRequest, collection_id: str) -> HttpResponse:
    caller = caller_get(request)
    found = caller.collection(collection_id)
    community = caller.community
    assert community is not None
    query = ItemsQuery.from_request(request.GET, set(queryable_properties(found, community)))
    fmt = _format(request)
    rows = filtered_rows(found, community, query, property_filters(found, community, request.GET))
    matched = rows.count()
    page = features(rows[query.offset : query.offset + query.limit], found, query.srid)
    # Paging links repeat every parameter the caller gave, with the offset moved.
    base = {k: v for k, v in request.GET.items() if k not in ("offset", "f", "community")}
    here = query.offset or None
    json_href = _url(request, "items", collection_id, **base, offset=here, f="json")
    html_href = _url(request, "items", collection_id, **base, offset=here, f="html")
    links = (
        [_link(html_href, "self", HTML), _link(json_href, "alternate", GEOJSON, "GeoJSON")]
        if fmt == "html"
        else [_link(json_href, "self", GEOJSON), _link(html_href, "alternate", HTML, "HTML")]
    )
    page_fmt = "html" if fmt == "html" else "json"
    page_type = HTML if fmt == "html" else GEOJSON
    if query.offset + query.limit < matched:
        links.append(
            _link(
                _url(request, "items", collection_id, **base, offset=query.offset + query.limit, f=page_fmt),
                "next",
                page_type,
                "Next page",
            )
        )
    if query.offset > 0:
        prev_offset = max(query.offset - query.limit, 0)
        links.append(
            _link(
                _url(request, "items", collection_id, **base, offset=prev_offset or None, f=page_fmt),
                "prev",
                page_type,
                "Previous page",
            )
        )
    links.append(
        _link(_url(request, "collection", collection_id, f="json"), "collection", JSON, str(found.title))
    )
    body = {
        "type": "FeatureCollection",
        "features": page,
        "links": links,
        "timeStamp": timezone.now().isoformat(timespec="seconds"),
        "numberMatched": matched,
        "numberReturned": len(page),
    }
    response = _respond(
        request,
        fmt,
        body,
        "ogc/items.html",
        content_type=GEOJSON,
        collection=found,
        properties=list(found.properties),
        query=query,
        first=query.offset + 1,
        last=query.offset + len(page),
    )
    response["Content-Crs"] = f"<{_crs_uri(query.srid)}>"
    return response


def _crs_uri(srid: int) -> str:
    return CRS84 if srid == 4326 else EPSG_URI.format(srid)


@ogc_view
def item(request: HttpRequest, collection_id: str, feature_id: int) -> HttpResponse:
    check_params(request.GET, ITEM_PARAMS)
    fmt = _format(request)
    srid = crs_srid(request.GET.get("crs"), "crs")
    caller = caller_get(request)
    found = caller.collection(collection_id)
    assert caller.community is not None
    rows = found.rows(caller.community).filter(pk=feature_id)
    page = features(rows, found, srid)
    if not page:
        raise OgcError(404, "NotFound", f"No feature {feature_id} in '{collection_id}'.")
    feature = page[0]
    feature["links"] = [
        *_self_links(request, "item", collection_id, feature_id, fmt=fmt, json_type=GEOJSON),
        _link(_url(request, "collection", collection_id, f="json"), "collection", JSON, str(found.title)),
    ]
    response = _respond(request, fmt, feature, "ogc/item.html", content_type=GEOJSON, collection=found)
    response["Content-Crs"] = f"<{_crs_uri(srid)}>"
    return response
