"""Teams (brigades): name, members, depot (picked on the map or typed as lon/lat), cost."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Team
from accounts.selectors import teams_for_community
from accounts.services import team_create, team_update
from core.geometry import transformed

from .common import admin_membership, apply_errors, page, redirect_to, scoped_get
from .forms import TeamForm


@require_http_methods(["GET", "HEAD"])
def team_list(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    teams = teams_for_community(community=own.community).order_by("-active", "name")
    for team in teams:
        team.depot_4326 = transformed(team.depot, 4326) if team.depot else None  # type: ignore[attr-defined]
    return page(request, "teams_list.html", {"teams": teams})


def _initial(team: Team) -> dict[str, Any]:
    depot = transformed(team.depot, 4326) if team.depot else None
    return {
        "name": team.name,
        "members": list(team.members.all()),
        "depot_lon": round(depot.x, 7) if isinstance(depot, Point) else None,
        "depot_lat": round(depot.y, 7) if isinstance(depot, Point) else None,
        "hourly_cost": team.hourly_cost,
        "active": team.active,
    }


def _depot(data: dict[str, Any], srid: int) -> Point | None:
    depot = data.get("depot")
    if depot is None:
        return None
    stored = transformed(depot, srid)
    assert isinstance(stored, Point)
    return stored


@require_http_methods(["GET", "HEAD", "POST"])
def team_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    own = admin_membership(request)
    team = scoped_get(Team.objects.all(), own, pk) if pk is not None else None
    form = TeamForm(request.POST or None, community=own.community, initial=_initial(team) if team else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        depot = _depot(data, settings.RONDE_SRID)
        try:
            if team is None:
                team = team_create(
                    community=own.community,
                    name=data["name"],
                    members=list(data["members"]),
                    depot=depot,
                    hourly_cost=data["hourly_cost"],
                    active=data["active"],
                )
            else:
                team_update(
                    team=team,
                    data={
                        "name": data["name"],
                        "members": list(data["members"]),
                        "depot": depot,
                        "hourly_cost": data["hourly_cost"],
                        "active": data["active"],
                    },
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The team %(name)s was saved.") % {"name": team.name})
            return redirect_to(request, "administration:teams")
    status = 400 if form.is_bound and form.errors else 200
    return page(request, "teams_form.html", {"form": form, "team": team}, status=status)
