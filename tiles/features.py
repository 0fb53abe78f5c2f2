"""What the map page shows about its features: one feature's details (and, for assets, the
history of the work done there) and the list of a layer's features in a box, in the user's
language. Read-only selectors, scoped to the caller's community and role like the tiles."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Polygon
from django.db.models import QuerySet
from django.utils.formats import date_format, number_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from accounts.models import Membership
from geo.models import Asset, AssetKind, Zone, ZoneKind
from interventions.labels import method_label, site_label, support_label
from interventions.models import Intervention, InterventionStatus, MissionStatus, Report, ReportStatus
from interventions.selectors_missions import missions_for_membership

from .layers import LAYERS

# The layers a click or the list can describe (streets and the base map are background).
DESCRIBED = ("assets", "reports", "interventions", "missions", "zones")
LIST_LIMIT = 200  # rows in the list table; the count says how many more there are
HISTORY_LIMIT = 20


class NotVisible(Exception):
    """No such feature for this caller (another community, or a role that may not read it)."""


@dataclass
class Feature:
    layer: str
    id: int
    title: str
    rows: list[tuple[str, str]]
    history: list[tuple[str, str]] | None = None  # (date, what was done), newest first


@dataclass
class FeatureList:
    layer: str
    columns: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (id, cells)
    total: int = 0


def _day(value: Any) -> str:
    if value is None:
        return "–"
    if hasattr(value, "hour"):
        return date_format(localtime(value), "SHORT_DATETIME_FORMAT")
    return date_format(value, "SHORT_DATE_FORMAT")


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else (value or "–")


def _priority(value: int) -> str:
    return {1: _("Urgent"), 2: _("Normal"), 3: _("Low")}.get(value, str(value))


def _querysets(membership: Membership) -> dict[str, QuerySet]:
    community = membership.community
    return {
        "assets": Asset.objects.filter(community=community).select_related("category"),
        "reports": Report.objects.filter(community=community).select_related("category"),
        "interventions": Intervention.objects.filter(community=community).select_related(
            "category", "team", "mission", "asset"
        ),
        "missions": missions_for_membership(membership=membership).select_related("team"),
        "zones": Zone.objects.filter(community=community),
    }


def _check_layer(membership: Membership, layer: str) -> None:
    if layer not in DESCRIBED or membership.role not in LAYERS[layer].read_roles:
        raise NotVisible(layer)


def _asset_title(asset: Asset) -> str:
    return site_label(
        site_id=asset.pk,
        name=asset.name,
        support=asset.support,
        address=getattr(asset, "address", "") or "",
    )


def _asset_history(asset: Asset) -> list[tuple[str, str]]:
    work = (
        Intervention.objects.filter(community_id=asset.community_id, asset=asset)
        .select_related("category")
        .order_by("-ended_at", "-planned_date", "-pk")[:HISTORY_LIMIT]
    )
    out = []
    for i in work:
        what = [i.category.name, _label(InterventionStatus, i.status)]
        if i.method:
            what.append(method_label(i.method))
        if i.surface_m2 is not None:
            what.append(f"{number_format(i.surface_m2)} m²")
        out.append((_day(i.ended_at or i.planned_date), " · ".join(what)))
    return out


def feature_detail(*, membership: Membership, layer: str, pk: int) -> Feature:
    _check_layer(membership, layer)
    obj = _querysets(membership)[layer].filter(pk=pk).first()
    if obj is None:
        raise NotVisible(f"{layer} {pk}")
    if layer == "assets":
        return Feature(
            layer,
            pk,
            _asset_title(obj),
            [
                (_("Category"), obj.category.name),
                (_("Kind"), _label(AssetKind, obj.category.kind)),
                (_("Support"), support_label(obj.support) or "–"),
            ],
            history=_asset_history(obj),
        )
    if layer == "reports":
        return Feature(
            layer,
            pk,
            obj.address or obj.category.name,
            [
                (_("Category"), obj.category.name),
                (_("Status"), _label(ReportStatus, obj.status)),
                (_("Reported at"), _day(obj.reported_at)),
                (_("Priority"), _priority(obj.priority)),
                (_("Support"), support_label(obj.support) or "–"),
                (_("Description"), obj.description or "–"),
            ],
        )
    if layer == "interventions":
        rows = [
            (_("Category"), obj.category.name),
            (_("Status"), _label(InterventionStatus, obj.status)),
            (_("Planned date"), _day(obj.planned_date)),
            (_("Done at"), _day(obj.ended_at)),
            (_("Team"), obj.team.name if obj.team else "–"),
            (_("Mission"), (obj.mission.name or _day(obj.mission.date)) if obj.mission else "–"),
            (_("Method"), method_label(obj.method) or "–"),
            (_("Surface"), f"{number_format(obj.surface_m2)} m²" if obj.surface_m2 is not None else "–"),
        ]
        if obj.asset is not None:
            rows.append((_("Asset"), _asset_title(obj.asset)))
        return Feature(
            layer, pk, obj.category.name, rows, history=_asset_history(obj.asset) if obj.asset else None
        )
    if layer == "missions":
        stops = Intervention.objects.filter(mission=obj)
        done = stops.filter(status=InterventionStatus.DONE).count()
        return Feature(
            layer,
            pk,
            obj.name or _("Mission of %(day)s") % {"day": _day(obj.date)},
            [
                (_("Date"), _day(obj.date)),
                (_("Team"), obj.team.name),
                (_("Status"), _label(MissionStatus, obj.status)),
                (_("Done"), f"{done} / {stops.count()}"),
            ],
        )
    return Feature(layer, pk, obj.name, [(_("Kind"), _label(ZoneKind, obj.kind))])


def _columns(layer: str) -> list[str]:
    return {
        "assets": [_("Name"), _("Category"), _("Support")],
        "reports": [_("Address"), _("Category"), _("Status"), _("Reported at")],
        "interventions": [_("Category"), _("Status"), _("Planned date"), _("Done at")],
        "missions": [_("Name"), _("Date"), _("Team"), _("Status")],
        "zones": [_("Name"), _("Kind")],
    }[layer]


def features_in_box(*, membership: Membership, layer: str, box: Polygon) -> FeatureList:
    """The layer's features inside `box` (storage CRS), at most LIST_LIMIT, with their total."""
    _check_layer(membership, layer)
    geometry = "zone" if layer == "missions" else "geom"
    qs = _querysets(membership)[layer].filter(**{f"{geometry}__intersects": box}).order_by("-pk")
    total = qs.count()
    found = FeatureList(layer, _columns(layer), total=total)
    for obj in qs[:LIST_LIMIT]:
        if layer == "assets":
            cells = [_asset_title(obj), obj.category.name, support_label(obj.support) or "–"]
        elif layer == "reports":
            cells = [
                obj.address or "–",
                obj.category.name,
                _label(ReportStatus, obj.status),
                _day(obj.reported_at),
            ]
        elif layer == "interventions":
            cells = [
                obj.category.name,
                _label(InterventionStatus, obj.status),
                _day(obj.planned_date),
                _day(obj.ended_at),
            ]
        elif layer == "missions":
            cells = [obj.name or "–", _day(obj.date), obj.team.name, _label(MissionStatus, obj.status)]
        else:
            cells = [obj.name, _label(ZoneKind, obj.kind)]
        found.rows.append((obj.pk, cells))
    return found
