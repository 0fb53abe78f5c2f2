"""Recurring missions: templates that produce the day's draft missions (command/task)."""

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Community, Team, User
from audit.models import AuditAction
from audit.services import audit_record, diff, snapshot
from interventions.models import Mission, MissionOccurrence, MissionTemplate

from .missions import mission_create, mission_zone_checked
from .optimize import mission_optimize

logger = logging.getLogger(__name__)


def template_due_on(template: MissionTemplate, date: dt.date) -> bool:
    """True when the template's rule produces a mission on `date`."""
    if not template.active or date < template.starts_on:
        return False
    if template.ends_on and date > template.ends_on:
        return False
    if date.weekday() not in template.weekdays:
        return False
    # Weeks counted from the Monday of the start week, so "every 2 weeks" is stable.
    first_monday = template.starts_on - dt.timedelta(days=template.starts_on.weekday())
    weeks = (date - first_monday).days // 7
    return weeks % template.every_weeks == 0


# What a dispatcher may change on a recurring mission (the community and author stay).
TEMPLATE_FIELDS = frozenset(
    {
        "name",
        "team",
        "zone",
        "weekdays",
        "every_weeks",
        "starts_on",
        "ends_on",
        "profile",
        "open_round",
        "shift_start",
        "shift_end",
        "active",
    }
)


def _weekdays(value: Any) -> list[int]:
    days = sorted({int(day) for day in value})
    if not days or not all(0 <= day <= 6 for day in days):
        raise ValidationError(
            {"weekdays": ["Choose at least one day of the week (0 = Monday … 6 = Sunday)."]}
        )
    return days


def _check(template: MissionTemplate) -> None:
    if template.team.community_id != template.community_id:
        raise ValidationError({"team": ["Unknown team in your community."]})
    template.full_clean()  # also turns the "08:00" defaults into times
    if template.shift_end <= template.shift_start:
        raise ValidationError({"shift_end": ["The shift ends before it starts."]})


@transaction.atomic
def mission_template_create(
    *,
    community: Community,
    name: str,
    team: Team,
    zone: Polygon,
    starts_on: dt.date,
    weekdays: list[int] | None = None,
    weekday: int | None = None,
    every_weeks: int = 1,
    ends_on: dt.date | None = None,
    created_by: User | None = None,
    **planning: Any,
) -> MissionTemplate:
    """A new recurring mission. `weekday` (one day) is the API's original field; `weekdays`
    takes several. Raises ValidationError naming the field."""
    unknown = set(planning) - TEMPLATE_FIELDS
    if unknown:
        raise TypeError(f"unknown template fields: {sorted(unknown)}")
    days = _weekdays(weekdays if weekdays is not None else ([] if weekday is None else [weekday]))
    template = MissionTemplate(
        community=community,
        name=name,
        team=team,
        zone=mission_zone_checked(community=community, zone=zone),
        weekdays=days,
        every_weeks=every_weeks,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=created_by,
        **planning,
    )
    _check(template)
    template.save()
    audit_record(obj=template, action=AuditAction.CREATE)
    return template


@transaction.atomic
def mission_template_update(*, template: MissionTemplate, **changes: Any) -> MissionTemplate:
    """Change a recurring mission (any of TEMPLATE_FIELDS). Missions it already produced keep
    their plan; the next daily run uses the new one. Locks the template's row."""
    unknown = set(changes) - TEMPLATE_FIELDS
    if unknown:
        raise TypeError(f"unknown template fields: {sorted(unknown)}")
    locked = MissionTemplate.objects.select_for_update().select_related("team").get(pk=template.pk)
    before = snapshot(locked)
    if "weekdays" in changes:
        changes["weekdays"] = _weekdays(changes["weekdays"])
    if changes.get("zone") is not None:
        changes["zone"] = mission_zone_checked(community=locked.community, zone=changes["zone"])
    for name, value in changes.items():
        setattr(locked, name, value)
    _check(locked)
    locked.save()
    audit_record(obj=locked, action=AuditAction.UPDATE, changes=diff(before, snapshot(locked)))
    return locked


def mission_template_set_active(*, template: MissionTemplate, active: bool) -> MissionTemplate:
    """Pause (no more missions from the next daily run on) or resume a recurring mission."""
    return mission_template_update(template=template, active=active)


@transaction.atomic
def mission_template_delete(*, template: MissionTemplate) -> None:
    """Delete a recurring mission. The missions it produced stay (their link is cleared with
    the occurrences)."""
    locked = MissionTemplate.objects.select_for_update().get(pk=template.pk)
    audit_record(obj=locked, action=AuditAction.DELETE, changes={"name": [locked.name, None]})
    locked.delete()


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
    templates = MissionTemplate.objects.filter(
        active=True, weekdays__contains=[date.weekday()]
    ).select_related("community", "team")
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
