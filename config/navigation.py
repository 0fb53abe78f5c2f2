"""The pages of the web UI, by role: one list that the menu and the home page read.

Each app adds its entry here (url name, label, roles allowed); a missing URL is skipped,
so the menu never links to a page that is not installed.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

ALL = (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER)


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    roles: tuple[str, ...]
    help: str | Promise = ""


NAV_ITEMS: list[NavItem] = [
    NavItem("map", _("Map"), ALL, _("Every layer on the map, with a legend and a list alternative.")),
    NavItem(
        "dispatch:board",
        _("Dispatch"),
        (Role.ADMIN, Role.DISPATCHER),
        _("Draw a mission zone, plan and optimise the round, print the sheet, follow it live."),
    ),
    NavItem(
        # The accessible reference first; it links to Swagger UI (/api/docs/).
        "api-reference",
        _("API"),
        (Role.ADMIN, Role.DISPATCHER),
        _("REST API and its OpenAPI documentation."),
    ),
    NavItem(
        "dashboards:index",
        _("Dashboards"),
        (Role.ADMIN, Role.DISPATCHER, Role.VIEWER),
        _("Where and how often tags come back: heatmaps, recurrence, costs."),
    ),
    NavItem(
        "agent:app",
        _("Field app"),
        (Role.AGENT, Role.DISPATCHER, Role.ADMIN),
        _("Today's missions, recording interventions offline, reporting new tags."),
    ),
    NavItem(
        "geodata:imports",
        _("Import"),
        (Role.ADMIN,),
        _("Assets, zones, reports from GeoJSON, GeoPackage, Shapefile, CSV, KML."),
    ),
    NavItem(
        "geodata:exports",
        _("Export"),
        (Role.ADMIN, Role.DISPATCHER, Role.VIEWER),
        _("Download data as GeoJSON, GeoPackage, Shapefile or CSV."),
    ),
    NavItem(
        "administration:index", _("Administration"), (Role.ADMIN,), _("Users, teams, categories, assets.")
    ),
]


def nav_for(role: str | None, path: str = "") -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for item in NAV_ITEMS:
        if role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": item.label, "help": item.help, "current": path.startswith(url)})
    return items
