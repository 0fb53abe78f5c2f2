"""Reads for the field app. Every query is scoped to the caller's community and teams."""

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass
from functools import cache
from typing import cast

from django.contrib.gis.geos import Point
from django.db.models import Prefetch, QuerySet

from accounts.models import Community, Team, User
from core.sql import ModelColumns, fetch_prepared, sql_path, sql_text
from interventions.models import (
    MISSION_HEAVY_FIELDS,
    Intervention,
    Mission,
    MissionStatus,
    MissionStop,
    Report,
    job_address,
)

from .models import MissionDelivery


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
    def address(self) -> str:
        return job_address(self.intervention, self.report)

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
        .defer("routing_cache")  # the optimiser's street matrix (MISSION_HEAVY_FIELDS)
        .order_by("date", "pk")
        .distinct()
    )


def mission_get_for_agent(*, user: User, community: Community, mission_id: int) -> Mission:
    """A mission of the caller's teams in their community; Mission.DoesNotExist otherwise."""
    return (
        Mission.objects.filter(community=community, team__members=user)
        .select_related("team")
        .defer("routing_cache")  # the optimiser's street matrix (MISSION_HEAVY_FIELDS)
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


@dataclass(frozen=True)
class KeyOwner:
    """The intervention a client key names, whatever its community and state."""

    intervention_id: int
    community_id: int
    deleted: bool


def intervention_key_owner(*, community: Community, client_uuid: uuid.UUID) -> KeyOwner | None:
    """The intervention whose own key this is (any community, deleted or not), else the live one
    an alias of `community` names; None: never seen. One prepared statement
    (sql/intervention_key.sql). Callers check `community_id` and `deleted` before using the id.
    """
    statement = sql_text(sql_path(__file__, "intervention_key.sql"))
    row = fetch_prepared(statement, {"key": client_uuid, "community": community.pk})
    return KeyOwner(row[0], row[1], row[2]) if row else None


# What a photo upload reads of its intervention: the ownership check
# (interventions.selectors.intervention_check_writable) and the community. Not the whole row
# with its mission: its ~40 columns were a fifth of a photo request's time in Python.
_PHOTO_SUBJECT_FIELDS = ["id", "community_id", "team_id", "deleted_at", "mission_id"]


def intervention_for_key(*, community: Community, client_uuid: uuid.UUID) -> Intervention | None:
    """The intervention an offline client named by its UUID (its own key or an alias), with
    only what a photo of it needs loaded (other fields are read on access), its mission with
    only its team. One prepared statement (sql/photo_subject.sql)."""
    statement = sql_text(sql_path(__file__, "photo_subject.sql"))
    row = fetch_prepared(statement, {"key": client_uuid, "community": community.pk})
    if row is None:
        return None
    *fields, mission_team_id = row
    intervention = Intervention.from_db("default", _PHOTO_SUBJECT_FIELDS, fields)
    mission_id = fields[-1]
    intervention.mission = (
        None
        if mission_id is None
        else Mission.from_db("default", ["id", "team_id"], [mission_id, mission_team_id])
    )
    return intervention


@cache
def _locked_statement() -> tuple[str, tuple[ModelColumns, ...]]:
    parts = (
        ModelColumns(Intervention, "i"),
        ModelColumns(Mission, "m", without=MISSION_HEAVY_FIELDS),
        ModelColumns(Team, "mt"),
        ModelColumns(Team, "t"),
    )
    text = sql_text(sql_path(__file__, "intervention_locked.sql"))
    names = ("intervention", "mission", "mission_team", "team")
    return text.format(**{n: p.sql for n, p in zip(names, parts, strict=True)}), parts


def intervention_locked(*, community: Community, pk: int) -> Intervention:
    """The intervention row locked for this transaction (FOR UPDATE), with its mission (its
    route and routing cache deferred), the mission's team and its own team; one prepared
    statement (sql/intervention_locked.sql). Intervention.DoesNotExist outside `community`."""
    statement, (i, m, mt, t) = _locked_statement()
    row = fetch_prepared(statement, {"pk": pk, "community": community.pk})
    if row is None:
        raise Intervention.DoesNotExist(f"No intervention {pk} in community {community.pk}.")
    ends = list(itertools.accumulate(len(p.names) for p in (i, m, mt, t)))
    values = [row[a:b] for a, b in zip([0, *ends], ends, strict=False)]
    intervention = cast(Intervention, i.instance(values[0]))
    if intervention.mission_id is not None:
        mission = cast(Mission, m.instance(values[1]))
        mission.team = cast(Team, mt.instance(values[2]))
        intervention.mission = mission
    else:
        intervention.mission = None
    intervention.team = cast(Team, t.instance(values[3])) if intervention.team_id is not None else None
    return intervention


def delivered_to(*, user: User, intervention_id: int | None = None, stop_id: int | None = None) -> bool:
    """Whether this intervention/stop was handed to the agent in a mission they then had."""
    deliveries = MissionDelivery.objects.filter(user=user)
    if (
        intervention_id is not None
        and deliveries.filter(intervention_ids__contains=[intervention_id]).exists()
    ):
        return True
    return stop_id is not None and deliveries.filter(stop_ids__contains=[stop_id]).exists()


def delivered_grant(user: User, intervention: Intervention, stop_id: int | None) -> bool:
    """interventions.selectors' write grant: work handed to the agent in a mission they had."""
    return delivered_to(user=user, intervention_id=intervention.pk, stop_id=stop_id)
