"""The community's districts (rename, delete) and its territory (view, replace).

District imports go through the import pages (/geo/imports/), like every other geodata.
"""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.gis.db.models.functions import Area
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.management.commands.create_community import territory_from_file
from accounts.services import bbox_polygon, community_set_territory
from core.geometry import transformed
from geo.models import Zone
from geo.services.zones import zone_delete, zone_update

from .common import admin_membership, apply_errors, confirmed, page, redirect_to, scoped_get
from .forms import TerritoryForm, ZoneForm

MAX_TERRITORY_UPLOAD = 50 * 1024 * 1024  # bytes: a commune's boundary is a few hundred kB


@require_http_methods(["GET", "HEAD"])
def zone_list(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    # Area in km² (storage SRID in metres).
    zones = Zone.objects.filter(community_id=own.community_id).annotate(area=Area("geom")).order_by("name")
    return page(request, "zones_list.html", {"zones": zones})


@require_http_methods(["GET", "HEAD", "POST"])
def zone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    own = admin_membership(request)
    zone = scoped_get(Zone.objects.all(), own, pk)
    form = ZoneForm(request.POST or None, initial={"name": zone.name, "kind": zone.kind})
    if request.method == "POST" and form.is_valid():
        try:
            zone_update(zone=zone, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The district %(name)s was saved.") % {"name": zone.name})
            return redirect_to(request, "administration:zones")
    status = 400 if form.is_bound and form.errors else 200
    return page(request, "zones_form.html", {"form": form, "zone": zone}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def zone_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    own = admin_membership(request)
    zone = scoped_get(Zone.objects.all(), own, pk)
    if request.method == "POST":
        if (refused := confirmed(request)) is not None:
            return refused
        zone_delete(zone=zone)
        messages.success(request, _("The district %(name)s was deleted.") % {"name": zone.name})
        return redirect_to(request, "administration:zones")
    return page(request, "zones_delete.html", {"object": zone})


def _uploaded_territory(upload: object) -> GEOSGeometry:
    name = Path(getattr(upload, "name", "territory")).name
    if getattr(upload, "size", 0) > MAX_TERRITORY_UPLOAD:
        raise ValidationError({"file": [_("The file is too large (50 MB at most).")]})
    with tempfile.TemporaryDirectory(prefix="ronde-territory-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            for chunk in upload.chunks():  # type: ignore[attr-defined]
                out.write(chunk)
        try:
            return territory_from_file(path)
        except CommandError as exc:
            # The command names its file by path: the person knows it by its name only.
            raise ValidationError({"file": [str(exc).replace(str(path), name)]}) from exc


@require_http_methods(["GET", "HEAD", "POST"])
def territory(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    community = own.community
    form = TerritoryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("file") is not None:
                shape = _uploaded_territory(data["file"])
            else:
                shape = bbox_polygon(
                    minlon=data["minlon"], minlat=data["minlat"], maxlon=data["maxlon"], maxlat=data["maxlat"]
                )
            community_set_territory(community=community, territory=shape)
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "bbox" in exc.error_dict:
                form.add_error("minlon", exc.error_dict["bbox"])
            elif hasattr(exc, "error_dict") and "territory" in exc.error_dict:
                form.add_error("file" if data.get("file") else "minlon", exc.error_dict["territory"])
            else:
                apply_errors(form, exc)
        else:
            messages.success(request, _("The territory was replaced."))
            return redirect_to(request, "administration:territory")
    shape = transformed(community.territory, 4326)
    extent = shape.extent if shape else None
    context = {
        "form": form,
        "community": community,
        "area_km2": community.territory.area / 1e6,  # storage SRID in metres
        "extent": extent,
        "polygons": len(community.territory),
    }
    status = 400 if form.is_bound and form.errors else 200
    return page(request, "territory.html", context, status=status)
