"""Export page (download buttons) and the streaming download endpoint (session or token auth)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.permissions import CommunityRole, request_membership
from accounts.selectors import NoCommunity, membership_get_for_user
from core.params import ParamError
from geo.io.export_queries import FORMATS
from geo.io.targets import export_target, export_target_names
from geo.io.writers import export_check, export_prepare

FILTERS = ("category", "status", "date_from", "date_to", "bbox")
# The formats by the names GIS tools give them.
FORMAT_LABELS = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "shp": "Shapefile (zip)", "csv": "CSV"}


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
        try:
            export = export_prepare(
                community=membership.community,
                what=params.get("what", ""),
                fmt=params.get("format", "geojson"),
                crs=params.get("crs"),
                filters={key: params[key] for key in FILTERS if params.get(key)},
            )
        except ParamError as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        response = StreamingHttpResponse(export.stream(), content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


def export_choices() -> list[tuple[str, str]]:
    """(name, label in the user's language) of each export target: "Équipements", not "assets"."""
    out = []
    for name in export_target_names():
        spec = export_target(name)
        label = spec.model._meta.verbose_name_plural if spec is not None else name
        out.append((name, capfirst(str(label))))
    return out


@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    """The export form. It is sent here first: a bad entry is said next to its field, in the
    user's language (RGAA 11.10); a good one goes on to the download with the same query."""
    try:
        membership = membership_get_for_user(user=request.user, community_slug=request.GET.get("community"))  # type: ignore[arg-type]
    except NoCommunity as exc:
        raise PermissionDenied("not a member of this community") from exc
    error: ParamError | None = None
    params = request.GET
    if params.get("what"):
        try:
            export_check(
                community=membership.community,
                what=params["what"],
                fmt=params.get("format", "geojson"),
                crs=params.get("crs"),
                filters={key: params[key] for key in FILTERS if params.get(key)},
            )
        except ParamError as exc:
            error = exc
        else:
            return HttpResponseRedirect(f"{reverse('geodata:export-download')}?{params.urlencode()}")
    text_fields = [
        ("crs", "text", _("CRS (optional, e.g. EPSG:2154)")),
        ("category", "text", _("Category codes (optional, comma-separated)")),
        ("status", "text", _("Statuses (optional, comma-separated)")),
        ("date_from", "date", _("From")),
        ("date_to", "date", _("To")),
        ("bbox", "text", _("Bounding box (optional, lon/lat: minx,miny,maxx,maxy)")),
    ]
    context = {
        "whats": export_choices(),
        "formats": [(fmt, FORMAT_LABELS.get(fmt, fmt)) for fmt in FORMATS],
        "values": params,
        "text_fields": [(name, kind, label, params.get(name, "")) for name, kind, label in text_fields],
        "field_names": ["what", "format", *(name for name, _kind, _label in text_fields)],
        "param_error": error,
    }
    return render(request, "geo/export.html", context, status=400 if error is not None else 200)
