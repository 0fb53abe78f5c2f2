"""The map page's details panel and list: HTML fragments (for the panel) or whole pages (the
list alternative to the map, and a feature's own page without JavaScript)."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from rest_framework.exceptions import ValidationError

from accounts.models import Membership
from core.api.filters import parse_bbox
from core.params import ParamError, parse_id

from .access import TileAccessError, tile_membership
from .features import DESCRIBED, NotVisible, feature_detail, features_in_box
from .layers import LAYERS


def _problem(request: HttpRequest, status: int, field: str, message: str) -> HttpResponse:
    return render(request, "tiles/feature_error.html", {"field": field, "message": message}, status=status)


def _layer_param(request: HttpRequest) -> str:
    layer = request.GET.get("layer", "")
    if layer not in DESCRIBED:
        raise ParamError("layer", _("Expected one of: %(names)s.") % {"names": ", ".join(DESCRIBED)})
    return layer


def _bbox_message(exc: ValidationError) -> str:
    """core.api.filters.parse_bbox's message ({"bbox": [message]})."""
    detail: Any = exc.detail
    if isinstance(detail, dict):
        detail = detail.get("bbox", detail)
    return str(detail[0] if isinstance(detail, list) and detail else detail)


def _answer(
    request: HttpRequest, read: Callable[[Membership, str], HttpResponse], hidden: str
) -> HttpResponse:
    """Check who and which layer, then `read`; every refusal is a page naming its cause."""
    try:
        return read(tile_membership(request), _layer_param(request))
    except TileAccessError as exc:
        return _problem(request, exc.status, "", exc.detail)
    except ParamError as exc:
        return _problem(request, 400, exc.field, exc.message)
    except NotVisible:
        if hidden == "layer":
            return _problem(request, 403, "layer", _("This layer is not available to you."))
        return _problem(request, 404, "id", _("No such feature on this map."))


@login_required
@require_GET
def feature(request: HttpRequest) -> HttpResponse:
    """?layer=assets&id=12: the feature's details; &partial=1 for the map's panel."""

    def read(membership: Membership, layer: str) -> HttpResponse:
        pk = parse_id("id", request.GET.get("id", ""))
        found = feature_detail(membership=membership, layer=layer, pk=pk)
        template = "tiles/_feature.html" if request.GET.get("partial") else "tiles/feature.html"
        return render(request, template, {"feature": found, "layer_title": LAYERS[layer].title})

    return _answer(request, read, hidden="id")


@login_required
@require_GET
def feature_list(request: HttpRequest) -> HttpResponse:
    """?layer=reports&bbox=minlon,minlat,maxlon,maxlat: the features in view, as a table."""

    def read(membership: Membership, layer: str) -> HttpResponse:
        raw = request.GET.get("bbox", "")
        if not raw:
            raise ParamError("bbox", _("Expected four numbers: minlon,minlat,maxlon,maxlat (EPSG:4326)."))
        try:
            box = parse_bbox(raw)
        except ValidationError as exc:
            raise ParamError("bbox", _bbox_message(exc)) from exc
        found = features_in_box(membership=membership, layer=layer, box=box)
        context = {"found": found, "layer_title": LAYERS[layer].title, "bbox": raw}
        return render(request, "tiles/feature_list.html", context)

    return _answer(request, read, hidden="layer")
