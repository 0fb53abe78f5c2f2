"""Recurring missions: templates that produce the day's draft missions (command/task)."""

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Community, Team, User
from interventions.models import Mission, MissionOccurrence, MissionTemplate

from .missions import mission_create, mission_optimize

logger = logging.getLogger(__name__)


def template_due_on(template: MissionTemplate, date: dt.date) -> bool:
    """True when the template's rule produces a mission on `date`."""
    if not template.active or date < template.starts_on:
        return False
    if template.ends_on and date > template.ends_on:
        return False
    if date.weekday() != template.weekday:
        return False
    # Weeks counted from the Monday of the start week, so "every 2 weeks" is stable.
    first_monday = template.starts_on - dt.timedelta(days=template.starts_on.weekday())
    weeks = (date - first_monday).days // 7
    return weeks % template.every_weeks == 0


@transaction.atomic
def mission_template_create(
    *,
    community: Community,
    name: str,
    team: Team,
    zone: Polygon,
    weekday: int,
    starts_on: dt.date,
    every_weeks: int = 1,
    ends_on: dt.date | None = None,
    created_by: User | None = None,
    **planning: Any,
) -> MissionTemplate:
    if team.community_id != community.pk:
        raise ValidationError({"team": ["Unknown team in your community."]})
    if zone.srid is None:
        zone.srid = settings.RONDE_API_SRID
    if zone.srid != settings.RONDE_SRID:
        zone = cast(Polygon, zone.transform(settings.RONDE_SRID, clone=True))
    if not community.territory.intersects(zone):
        raise ValidationError({"zone": ["The zone is outside the community's territory."]})
    template = MissionTemplate(
        community=community,
        name=name,
        team=team,
        zone=zone,
        weekday=weekday,
        every_weeks=every_weeks,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=created_by,
        **planning,
    )
    template.full_clean()
    template.save()
    return template


@dataclass
class RecurringRun:
    created: list[Mission] = field(default_factory=list)
    skipped: list[tuple[MissionTemplate, str]] = field(default_factory=list)


def missions_create_recurring(
    *, date: dt.date, community: Community | None = None, optimize: bool = False
) -> RecurringRun:
    """Create the draft missions of `date` from the due templates; running it twice creates
    nothing more (one MissionOccurrence per template and date). Each template is its own
    transaction: one bad template does not stop the others."""
    run = RecurringRun()
    templates = MissionTemplate.objects.filter(active=True, weekday=date.weekday()).select_related(
        "community", "team"
    )
    if community is not None:
        templates = templates.filter(community=community)
    for template in templates.order_by("community_id", "pk"):
        if not template_due_on(template, date):
            continue
        if MissionOccurrence.objects.filter(template=template, date=date).exists():
            run.skipped.append((template, "already created"))
            continue
        try:
            with transaction.atomic():
                mission, _conflicts = mission_create(
                    community=template.community,
                    zone=template.zone,
                    date=date,
                    team=template.team,
                    created_by=template.created_by,
                    name=f"{template.name} {date:%d/%m}",
                    profile=template.profile,
                    open_round=template.open_round,
                    shift_start=template.shift_start,
                    shift_end=template.shift_end,
                )
                MissionOccurrence.objects.create(template=template, date=date, mission=mission)
        except (ValidationError, IntegrityError) as exc:
            run.skipped.append((template, str(exc)))
            continue
        if optimize and mission.stops.exists():
            try:
                mission_optimize(mission=mission)
            except ValidationError as exc:
                # The draft stays; the dispatcher optimises it by hand after fixing the cause.
                logger.warning("recurring mission %s not optimised: %s", mission.pk, exc)
        run.created.append(mission)
    return run
