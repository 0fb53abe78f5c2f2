"""Heatmap raster endpoints under /tiles/: PNG tiles, legend, GeoTIFF export.

Access: a member of the community (session or token), or a public dashboard share token
(?share=…), which opens the community's heatmap read-only (no team filter).
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from accounts.models import Community
from accounts.sharing import share_community
from core.geometry import transformed

from ..access import TileAccessError, tile_membership
from ..tilemath import parse_tile, tile_size, url_int
from .filters import HeatmapFilterError, HeatmapFilters, parse_heatmap_filters
from .render import MAX_ZOOM, heatmap_etag, heatmap_geotiff, heatmap_tile, legend


def _error(status: int, detail: str, field: str | None = None) -> JsonResponse:
    body = {"detail": detail} | ({"field": field} if field else {})
    return JsonResponse(body, status=status)


def _community(request: HttpRequest) -> tuple[Community, bool]:
    """(community, public): from a share token, else from the caller's membership."""
    token = request.GET.get("share")
    if token:
        community = share_community(token)
        if community is None:
            raise TileAccessError(403, "This share link is invalid or has been revoked.")
        return community, True
    return tile_membership(request).community, False


def _filters(request: HttpRequest, community: Community, public: bool) -> HeatmapFilters:
    filters = parse_heatmap_filters(request.GET, community_id=community.pk)
    if public and filters.team:
        raise HeatmapFilterError("team", "'team' is not available on a public link.")
    return filters


def _matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return header.strip() == "*" or etag in tags


def _cache_headers(response: HttpResponse, etag: str, public: bool) -> HttpResponse:
    response["ETag"] = f'"{etag}"'
    # Revalidated on every use: a 304 costs a store look-up, no rendering.
    response["Cache-Control"] = ("public" if public else "private") + ", no-cache"
    response["Vary"] = "Cookie, Authorization"
    return response


@require_GET
def heatmap_tile_view(request: HttpRequest, z: str, x: str, y: str) -> HttpResponse:
    parsed = parse_tile(z, x, y)
    if parsed is None or parsed[0] > MAX_ZOOM:
        return _error(400, f"No tile {z}/{x}/{y}: z is 0–{MAX_ZOOM} and x, y are 0 to 2^z − 1.", "z/x/y")
    zi, xi, yi = parsed
    try:
        community, public = _community(request)
        filters = _filters(request, community, public)
    except TileAccessError as exc:
        return _error(exc.status, exc.detail)
    except HeatmapFilterError as exc:
        return _error(400, exc.message, exc.name)
    early = heatmap_etag(community_id=community.pk, z=zi, x=xi, y=yi, filters=filters)
    if early and _matches(request, early):
        return _cache_headers(HttpResponse(status=304), early, public)
    tile = heatmap_tile(community_id=community.pk, z=zi, x=xi, y=yi, filters=filters)
    if _matches(request, tile.etag):
        return _cache_headers(HttpResponse(status=304), tile.etag, public)
    response = HttpResponse(tile.png, content_type="image/png")
    response["X-Heatmap-Engine"] = tile.engine
    return _cache_headers(response, tile.etag, public)


@require_GET
def heatmap_legend_view(request: HttpRequest) -> HttpResponse:
    zoom = url_int(request.GET.get("z", "14"))
    if zoom is None or zoom > MAX_ZOOM:
        return _error(400, f"'z' must be 0–{MAX_ZOOM}.", "z")
    query = request.GET.copy()
    query.pop("z", None)
    try:
        community, public = _community(request)
        filters = parse_heatmap_filters(query, community_id=community.pk)
    except TileAccessError as exc:
        return _error(exc.status, exc.detail)
    except HeatmapFilterError as exc:
        return _error(400, exc.message, exc.name)
    return JsonResponse({"z": zoom, "weight": filters.weight, "stops": legend(filters, zoom)})


@require_GET
def heatmap_geotiff_view(request: HttpRequest) -> HttpResponse:
    """The density surface over the community's territory as a GeoTIFF (EPSG:3857).

    ?z= sets the pixel size (zoom z's, 4.8 m at 15); by default the finest zoom ≤ 15 that
    keeps the raster under ~4 Mpx.
    """
    query = request.GET.copy()
    raw_zoom = query.pop("z", [""])[0]
    try:
        community, public = _community(request)
        filters = parse_heatmap_filters(query, community_id=community.pk)
        if public and filters.team:
            raise HeatmapFilterError("team", "'team' is not available on a public link.")
    except TileAccessError as exc:
        return _error(exc.status, exc.detail)
    except HeatmapFilterError as exc:
        return _error(400, exc.message, exc.name)
    minx, miny, maxx, maxy = transformed(community.territory, 3857).extent
    if raw_zoom:
        zoom = url_int(raw_zoom)
        if zoom is None or not 8 <= zoom <= 18:
            return _error(400, "'z' (pixel size) must be 8–18.", "z")
    else:
        zoom = 15
        while (
            zoom > 8
            and ((maxx - minx) / tile_size(zoom) * 256) * ((maxy - miny) / tile_size(zoom) * 256) > 4e6
        ):
            zoom -= 1
    try:
        data = heatmap_geotiff(
            community_id=community.pk, filters=filters, bbox_3857=(minx, miny, maxx, maxy), z=zoom
        )
    except HeatmapFilterError as exc:
        return _error(400, exc.message, exc.name)
    response = HttpResponse(data, content_type="image/tiff")
    response["Content-Disposition"] = f'attachment; filename="heatmap-{community.slug}-{filters.weight}.tif"'
    return response
