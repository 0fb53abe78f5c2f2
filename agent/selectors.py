"""Reads for the field app. Every query is scoped to the caller's community and teams."""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db.models import Prefetch, QuerySet

from accounts.models import Community, User
from interventions.models import Intervention, Mission, MissionStatus, MissionStop, Report

from .models import InterventionAlias, MissionDelivery


@dataclass(frozen=True)
class StopView:
    """One place to go in a mission, whatever the dispatch model behind it."""

    key: str  # "s<MissionStop id>" or "i<Intervention id>": stable for the device
    sequence: int | None
    stop_id: int | None
    intervention: Intervention | None
    report: Report | None
    status: str

    @property
    def geom(self) -> Point:
        subject = self.intervention or self.report
        assert subject is not None  # MissionStop's "mission_stop_has_job" constraint
        return subject.geom


def missions_for_agent(*, user: User, community: Community, today: dt.date) -> QuerySet[Mission]:
    """Today's and the coming missions of the caller's teams (drafts are not handed out yet)."""
    return (
        Mission.objects.filter(community=community, team__members=user, date__gte=today)
        .exclude(status=MissionStatus.DRAFT)
        .select_related("team")
        .order_by("date", "pk")
        .distinct()
    )


def mission_get_for_agent(*, user: User, community: Community, mission_id: int) -> Mission:
    """A mission of the caller's teams in their community; Mission.DoesNotExist otherwise."""
    return (
        Mission.objects.filter(community=community, team__members=user)
        .select_related("team")
        .distinct()
        .get(pk=mission_id)
    )


def mission_stops(*, mission: Mission) -> list[StopView]:
    """The mission's stops in round order.

    Routing's MissionStop (ordered by round, sequence) when the mission has any; before a
    mission is planned through it, the interventions linked by Intervention.mission, by id.
    """
    stops = list(
        MissionStop.objects.filter(mission=mission)
        .exclude(status="unassigned")
        .exclude(intervention__deleted_at__isnull=False)  # deleted in the office
        .select_related("intervention__category", "report__category")
        .prefetch_related(Prefetch("intervention__photos"))
        .order_by("round_index", "sequence", "pk")
    )
    if stops:
        return [
            StopView(
                key=f"s{s.pk}",
                sequence=s.sequence,
                stop_id=s.pk,
                intervention=s.intervention,
                report=s.report or (s.intervention.report if s.intervention else None),
                status=s.intervention.status if s.intervention else s.status,
            )
            for s in stops
        ]
    interventions = (
        Intervention.objects.filter(mission=mission)
        .select_related("category", "report")
        .prefetch_related("photos")
        .order_by("pk")
    )
    return [
        StopView(
            key=f"i{i.pk}",
            sequence=n,
            stop_id=None,
            intervention=i,
            report=i.report,
            status=i.status,
        )
        for n, i in enumerate(interventions, start=1)
    ]


def intervention_for_key(*, community: Community, client_uuid: uuid.UUID) -> Intervention | None:
    """The intervention an offline client named by its UUID (its own key or an alias)."""
    found = Intervention.objects.filter(community=community, client_uuid=client_uuid).first()
    if found is not None:
        return found
    alias = (
        InterventionAlias.objects.filter(community=community, client_uuid=client_uuid)
        .select_related("intervention")
        .first()
    )
    return alias.intervention if alias and alias.intervention.deleted_at is None else None


def delivered_to(*, user: User, intervention_id: int | None = None, stop_id: int | None = None) -> bool:
    """Whether this intervention/stop was handed to the agent in a mission they then had."""
    deliveries = MissionDelivery.objects.filter(user=user)
    if (
        intervention_id is not None
        and deliveries.filter(intervention_ids__contains=[intervention_id]).exists()
    ):
        return True
    return stop_id is not None and deliveries.filter(stop_ids__contains=[stop_id]).exists()


def user_in_team_of(*, user: User, mission: Mission) -> bool:
    return mission.team.members.filter(pk=user.pk).exists()
