"""Reads of the interventions app, always scoped to one community."""

import uuid
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Community, User
from accounts.selectors import team_ids_of
from core.api.fields import GEOJSON_ANNOTATION
from geo.selectors import point_geojson_4326

from .models import Category, Intervention, Mission, Photo, Report


def categories_for_community(*, community: Community) -> QuerySet[Category]:
    return Category.objects.filter(community=community).order_by("name", "id")


def reports_for_community(*, community: Community) -> QuerySet[Report]:
    """Newest first; the category comes by join (its code is in every API row)."""
    return (
        Report.objects.filter(community=community)
        .select_related("category")
        .annotate(**{GEOJSON_ANNOTATION: point_geojson_4326()})
        .order_by("-reported_at", "-id")
    )


def interventions_for_community(*, community: Community) -> QuerySet[Intervention]:
    """Newest first; agents prefetched in id order (the API lists their ids sorted)."""
    return (
        Intervention.objects.filter(community=community)
        .select_related("category")
        .prefetch_related(Prefetch("agents", queryset=User.objects.only("id").order_by("id")))
        .annotate(**{GEOJSON_ANNOTATION: point_geojson_4326()})
        .order_by("-created_at", "-id")
    )


def user_in_team_of(*, user: User, mission: Mission) -> bool:
    return mission.team_id in team_ids_of(user=user)


# (user, intervention, stop id or None) -> True when some other rule lets the agent write it.
WriteGrant = Callable[[User, Intervention, int | None], bool]
_WRITE_GRANTS: list[WriteGrant] = []


def register_write_grant(grant: WriteGrant) -> None:
    """A higher app adds a reason an agent may write an intervention (the field app: work of a
    mission handed to the agent before it was reassigned, agent.selectors.delivered_to)."""
    if grant not in _WRITE_GRANTS:
        _WRITE_GRANTS.append(grant)


def intervention_check_writable(
    *, user: User, intervention: Intervention, stop_id: int | None = None
) -> None:
    """An agent writes work of their teams' missions, or of missions handed to them before.

    The one ownership rule for an agent's edit of an intervention, on every path (REST API,
    field-app sync, photos). Raises PermissionDenied (403) otherwise.
    """
    if intervention.mission is not None:
        if user_in_team_of(user=user, mission=intervention.mission):
            return
    elif intervention.team_id is not None:
        if intervention.team_id in team_ids_of(user=user):
            return
    elif intervention.agents.filter(pk=user.pk).exists():
        # Unplanned work the agent recorded themselves.
        return
    if any(grant(user, intervention, stop_id) for grant in _WRITE_GRANTS):
        return
    raise PermissionDenied(_("This intervention is not in one of your missions."))


def photo_for_key(*, community: Community, client_uuid: uuid.UUID) -> Photo | None:
    """The photo a sender already stored under this key (None: never seen). A key is unique
    across communities: one used in another is refused, never answered with that photo."""
    stored = Photo.objects.filter(client_uuid=client_uuid).first()
    if stored is not None and stored.community_id != community.pk:
        raise ValidationError({"client_uuid": _("This key is already used elsewhere.")})
    return stored
