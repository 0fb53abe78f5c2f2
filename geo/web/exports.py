"""Export page (download buttons) and the streaming download endpoint (session or token auth)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.permissions import CommunityRole, request_membership
from accounts.selectors import NoCommunity, membership_get_for_user
from core.params import ParamError
from geo.io.export_queries import FORMATS
from geo.io.targets import export_target_names
from geo.io.writers import export_prepare

FILTERS = ("category", "status", "date_from", "date_to", "bbox")


class FileNegotiation(DefaultContentNegotiation):
    """`?format=gpkg` names the file format here, not a DRF renderer."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class ExportDownload(APIView):
    """GET /geo/exports/download/?what=assets&format=gpkg[&crs=EPSG:2154][&category=…&status=…
    &date_from=…&date_to=…&bbox=minx,miny,maxx,maxy (EPSG:4326)] → the file, streamed."""

    permission_classes = [CommunityRole]
    content_negotiation_class = FileNegotiation
    schema = None  # a file download, not JSON: kept out of the OpenAPI document

    def get(self, request: Request) -> StreamingHttpResponse:
        membership = request_membership(request)
        params = request.query_params
        what = params.get("what", "")
        if what not in export_target_names():
            raise ValidationError({"what": [f"one of {', '.join(export_target_names())}"]})
        try:
            export = export_prepare(
                community=membership.community,
                what=what,
                fmt=params.get("format", "geojson"),
                crs=params.get("crs"),
                filters={key: params[key] for key in FILTERS if params.get(key)},
            )
        except ParamError as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        response = StreamingHttpResponse(export.stream(), content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    try:
        membership_get_for_user(user=request.user, community_slug=request.GET.get("community"))  # type: ignore[arg-type]
    except NoCommunity as exc:
        raise PermissionDenied("not a member of this community") from exc
    return render(request, "geo/export.html", {"whats": export_target_names(), "formats": FORMATS})
