"""Thin views: parse, check access, call caching/styles, answer. Errors are JSON, never 500."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.basic import challenge
from accounts.selectors import team_ids_of_member
from core.params import ParamError

from .access import TileAccessError, tile_membership
from .caching import tile_get, tile_response
from .filters import parse_filters
from .layers import LAYERS, Layer
from .styles import map_legend, style_document, tilejson_document
from .tilemath import parse_tile


def _error(status: int, detail: str, field: str | None = None) -> JsonResponse:
    body = {"detail": detail} | ({"field": field} if field else {})
    response = JsonResponse(body, status=status)
    if status == 401:
        challenge(response)  # Basic (GDAL, QGIS) or `Authorization: Token`
    return response


def _layer(name: str) -> type[Layer] | None:
    return LAYERS.get(name)


@require_GET
def tile(request: HttpRequest, layer: str, z: str, x: str, y: str) -> HttpResponse:
    found = _layer(layer)
    if found is None:
        return _error(404, f"Unknown layer '{layer}' (layers: {', '.join(LAYERS)}).", "layer")
    parsed = parse_tile(z, x, y)
    if parsed is None:
        return _error(400, f"No tile {z}/{x}/{y}: z is 0–24 and x, y are 0 to 2^z − 1.", "z/x/y")
    zi, xi, yi = parsed
    if not found.minzoom <= zi <= found.maxzoom:
        return _error(
            400,
            f"Layer '{layer}' has tiles from zoom {found.minzoom} to {found.maxzoom}; overzoom beyond.",
            "z",
        )
    try:
        membership = tile_membership(request, found)
        filters = parse_filters(found, request.GET)
    except TileAccessError as exc:
        return _error(exc.status, exc.detail)
    except ParamError as exc:
        return _error(400, exc.message, exc.name)
    if membership.role in found.team_scoped_roles:
        filters = filters.only_teams(
            team_ids_of_member(community_id=membership.community_id, user_id=membership.user_id)
        )
    result = tile_get(layer=found, community_id=membership.community_id, z=zi, x=xi, y=yi, filters=filters)
    return tile_response(request, result)


@require_GET
def tilejson(request: HttpRequest, layer: str) -> HttpResponse:
    found = _layer(layer)
    if found is None:
        return _error(404, f"Unknown layer '{layer}' (layers: {', '.join(LAYERS)}).", "layer")
    try:
        membership = tile_membership(request, found)
        filters = parse_filters(found, request.GET)
    except TileAccessError as exc:
        return _error(exc.status, exc.detail)
    except ParamError as exc:
        return _error(400, exc.message, exc.name)
    return JsonResponse(tilejson_document(request, found, membership.community, filters))


@require_GET
def style(request: HttpRequest) -> HttpResponse:
    try:
        membership = tile_membership(request)
    except TileAccessError as exc:
        return _error(exc.status, exc.detail)
    return JsonResponse(style_document(request, membership.community))


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    return render(request, "tiles/map.html", {"legend": map_legend()})
