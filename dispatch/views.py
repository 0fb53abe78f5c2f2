"""The dispatcher's map page and the mission sheet (HTML for print, PDF)."""

from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ImageFile

from accounts.models import Membership, Role
from accounts.selectors import NoCommunity, membership_get_for_user
from interventions.models import Mission, MissionStatus, NotDoneReason, RoutingProfile, StopStatus
from interventions.selectors_missions import mission_get_for_membership

from .mapsvg import MapStop, mission_map_svg
from .selectors import board_choices, sheet_stops
from .strings import board_strings, board_urls

PLANNERS = (Role.ADMIN, Role.DISPATCHER)


def _membership(request: HttpRequest) -> Membership:
    try:
        return membership_get_for_user(user=request.user, community_slug=request.GET.get("community"))  # type: ignore[arg-type]
    except NoCommunity as exc:
        raise PermissionDenied(_("You are not a member of this community.")) from exc


@login_required
def board(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    if membership.role not in PLANNERS:
        raise PermissionDenied(_("Only dispatchers and administrators plan missions."))
    context = {
        **board_choices(community=membership.community),
        "today": timezone.localdate().isoformat(),
        "mission_statuses": MissionStatus.choices,
        "profiles": RoutingProfile.choices,
        "not_done_reasons": NotDoneReason.choices,
        "strings": board_strings(),
        "urls": board_urls(),
    }
    return render(request, "dispatch/board.html", context)


def _sheet_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    mission = mission_get_for_membership(membership=_membership(request), mission_id=pk)
    if mission is None:
        raise Http404
    mission = Mission.objects.select_related("team", "community").get(pk=mission.pk)
    stops = sheet_stops(mission=mission)
    numbered = [
        MapStop(
            number=str(s.stop.sequence) if s.stop.sequence else "–",
            point=s.stop.snapped or s.job.geom,
            state=s.stop.status,
        )
        for s in stops
    ]
    svg = mission_map_svg(
        community_id=mission.community_id,
        zone=mission.zone,
        route=mission.route,
        stops=numbered,
        depot=mission.start_point or mission.team.depot,
        title=_("Map of the mission zone, the round and its numbered stops"),
    )
    left_out = sum(1 for s in stops if s.stop.status == StopStatus.UNASSIGNED)
    return {
        "mission": mission,
        "stops": stops,
        # The sheet counts the stops the crew will make; dropped ones are listed apart.
        "planned_count": len(stops) - left_out,
        "left_out_count": left_out,
        "map_svg": svg,
        "printed_at": timezone.localtime(),
    }


@login_required
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "dispatch/sheet.html", _sheet_context(request, pk))


@login_required
def sheet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    # WeasyPrint renders the same template as the print view. Everything is inline (CSS,
    # SVG map, data: thumbnails) and only data: URLs may be fetched: no request goes out
    # (a fetch back to this server would also deadlock a single-threaded dev server).
    from weasyprint import HTML  # noqa: PLC0415 — heavy import, only for this view
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    # Importing WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process;
    # after one printed sheet, the field app's photo check would accept truncated photos.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    context = _sheet_context(request, pk)
    css_path = finders.find("dispatch/sheet.css")
    css = Path(str(css_path)).read_text(encoding="utf-8") if css_path else ""
    html = render_to_string("dispatch/sheet.html", {**context, "inline_css": css}, request=request)
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="mission-{pk}.pdf"'
    return response
