"""Reads for the dispatcher's map and the mission sheet, scoped to one community."""

import base64
import datetime as dt
import io
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import Point, Polygon
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Community, Team
from core.sql import run_sql, sql_path
from geo.models import Zone
from interventions.models import (
    Category,
    Intervention,
    InterventionStatus,
    Mission,
    MissionStop,
    MissionTemplate,
    Photo,
    PhotoStatus,
    Report,
)
from interventions.photo_access import photo_url
from interventions.selectors_missions import (
    ACTIVE_MISSION_STATUSES,
    OPEN_REPORT_STATUSES,
    job_bookings,
    open_interventions_within_zone,
    open_reports_within_zone,
)
from interventions.services.bookings import booking_json
from interventions.stop_reasons import stop_reason_text

logger = logging.getLogger(__name__)

# The board draws at most this many points per kind; past it the list says so.
BOARD_LIMIT = 5000
# Done interventions are shown for the chosen day only (the live map), others while open.
SHOWN_INTERVENTION_STATUSES = (
    InterventionStatus.TODO,
    InterventionStatus.SCHEDULED,
    InterventionStatus.IN_PROGRESS,
)
NEAREST_STREET_MAX_M = 80  # metres: farther than this, "near <street>" would mislead
THUMBNAIL_PX = 240


def _lonlat(geom: Point) -> list[float]:
    return [round(geom.x, 7), round(geom.y, 7)]


def _age_days(when: dt.datetime, now: dt.datetime) -> int:
    return max(0, (now - when).days)


def board_reports(*, community: Community) -> list[dict[str, Any]]:
    """Open reports no intervention handles yet, as GeoJSON features (EPSG:4326)."""
    now = timezone.now()
    rows = (
        Report.objects.filter(community=community, status__in=OPEN_REPORT_STATUSES)
        .exclude(Exists(Intervention.objects.filter(report=OuterRef("pk"))))
        .annotate(p=Transform("geom", settings.RONDE_API_SRID))
        .select_related("category")
        .order_by("reported_at", "pk")[:BOARD_LIMIT]
    )
    return [
        {
            "type": "Feature",
            "id": f"r{r.pk}",
            "geometry": {"type": "Point", "coordinates": _lonlat(r.p)},
            "properties": {
                "kind": "report",
                "pk": r.pk,
                "category": r.category.code,
                "category_name": r.category.name,
                "status": r.status,
                "priority": r.priority,
                "age_days": _age_days(r.reported_at, now),
                "address": r.address,
                "offensive": r.offensive,
            },
        }
        for r in rows
    ]


def board_interventions(*, community: Community, date: dt.date) -> list[dict[str, Any]]:
    """Open interventions, and those done (or not) on `date`, as GeoJSON features."""
    now = timezone.now()
    day_start = timezone.make_aware(dt.datetime.combine(date, dt.time.min))
    day_end = day_start + dt.timedelta(days=1)
    open_q = Intervention.objects.filter(community=community, status__in=SHOWN_INTERVENTION_STATUSES)
    done_q = Intervention.objects.filter(
        community=community,
        status__in=(InterventionStatus.DONE, InterventionStatus.NOT_DONE),
        ended_at__gte=day_start,
        ended_at__lt=day_end,
    )
    rows = (
        (open_q | done_q)
        .annotate(p=Transform("geom", settings.RONDE_API_SRID))
        .select_related("category", "team", "report")
        .order_by("created_at", "pk")[:BOARD_LIMIT]
    )
    return [
        {
            "type": "Feature",
            "id": f"i{i.pk}",
            "geometry": {"type": "Point", "coordinates": _lonlat(i.p)},
            "properties": {
                "kind": "intervention",
                "pk": i.pk,
                "category": i.category.code,
                "category_name": i.category.name,
                "status": i.status,
                "priority": i.priority,
                "age_days": _age_days(i.created_at, now),
                "address": i.address or (i.report.address if i.report else ""),
                "team": i.team.name if i.team else "",
                "mission": i.mission_id,
                "planned_date": i.planned_date.isoformat() if i.planned_date else None,
            },
        }
        for i in rows
    ]


def board_missions(*, community: Community, date: dt.date) -> QuerySet[Mission]:
    # Not the optimiser's street matrix (MISSION_HEAVY_FIELDS): the board draws the routes only.
    return (
        Mission.objects.filter(community=community, date=date)
        .select_related("team")
        .defer("routing_cache")
        .order_by("pk")
    )


def board_choices(*, community: Community) -> dict[str, Any]:
    """Teams, categories and district zones for the panel's selects."""
    return {
        "teams": list(Team.objects.filter(community=community, active=True).order_by("name")),
        "categories": list(Category.objects.filter(community=community, active=True).order_by("name")),
        "zones": list(Zone.objects.filter(community=community).order_by("name").only("pk", "name", "kind")),
    }


def mission_templates_for_community(*, community: Community) -> QuerySet[MissionTemplate]:
    return (
        MissionTemplate.objects.filter(community=community)
        .select_related("team")
        .order_by("weekdays", "name", "pk")
    )


def mission_template_get(*, community: Community, template_id: int) -> MissionTemplate | None:
    """One recurring mission of `community`; None for an unknown id or another community's."""
    return (
        MissionTemplate.objects.filter(community=community, pk=template_id)
        .select_related("team", "community")
        .first()
    )


def zone_polygon(*, community: Community, zone_id: int) -> Polygon | None:
    """A district's outline as one polygon (its largest part; missions take a Polygon)."""
    zone = Zone.objects.filter(community=community, pk=zone_id).first()
    if zone is None:
        return None
    parts = sorted((p for p in zone.geom if isinstance(p, Polygon)), key=lambda p: p.area, reverse=True)
    polygon = parts[0]
    polygon.srid = zone.geom.srid
    return polygon


def zone_preview(
    *, community: Community, zone: Polygon, date: dt.date | None, team: Team | None = None
) -> dict[str, Any]:
    """What a mission drawn on `zone` would hold, which of it another mission already plans, and
    the missions `team` already has that day (warned before the mission is created)."""
    reports = list(open_reports_within_zone(community=community, zone=zone).values_list("pk", flat=True))
    interventions = list(
        open_interventions_within_zone(community=community, zone=zone).values_list("pk", flat=True)
    )
    # Jobs another active mission plans (any date: a job is planned at most once); creating
    # the mission leaves them out. Each names the mission that has it.
    booked: dict[str, list[dict[str, Any]]] = {"reports": [], "interventions": []}
    for stop in job_bookings(community_id=community.pk, interventions=interventions, reports=reports):
        entry = booking_json(stop)
        if stop.intervention_id:
            booked["interventions"].append({"id": stop.intervention_id, **entry})
        else:
            booked["reports"].append({"id": stop.report_id, **entry})
    team_missions: list[int] = []
    if date is not None and team is not None:
        team_missions = list(
            Mission.objects.filter(
                community=community, team=team, date=date, status__in=ACTIVE_MISSION_STATUSES
            ).values_list("pk", flat=True)
        )
    territory = community.territory
    return {
        "reports": reports,
        "interventions": interventions,
        "booked": booked,
        "team_missions": team_missions,
        "outside_territory": not territory.contains(zone),
    }


def _served_photos() -> QuerySet[Photo]:
    """A job's photos to show, in the order taken: processed ones only (a photo being processed
    or unreadable has nothing to show yet)."""
    return Photo.objects.filter(status=PhotoStatus.READY).order_by("taken_at", "pk")


def mission_progress(*, mission: Mission) -> dict[str, Any]:
    """Per stop: planned / in progress / done / not done, for the live map (polled), and what
    the agent recorded (reason, times, notes, every photo) so the dispatcher sees it."""
    stops = (
        mission.stops.select_related("intervention")
        .prefetch_related(Prefetch("intervention__photos", queryset=_served_photos()))
        .order_by("round_index", "sequence", "pk")
    )
    out = []
    counts = {"planned": 0, "in_progress": 0, "done": 0, "not_done": 0, "unassigned": 0}
    for stop in stops:
        state = stop.status
        job = stop.intervention
        if job is not None and stop.status != "unassigned":
            if job.status in (InterventionStatus.DONE, InterventionStatus.NOT_DONE):
                state = job.status
            elif job.status == InterventionStatus.IN_PROGRESS:
                state = "in_progress"
        counts[state] = counts.get(state, 0) + 1
        out.append(
            {
                "id": stop.pk,
                "sequence": stop.sequence,
                "round": stop.round_index,
                "state": state,
                **stop_record(job),
            }
        )
    return {
        "mission": mission.pk,
        "status": mission.status,
        "updated_at": timezone.localtime(mission.updated_at).isoformat(),
        "counts": counts,
        "stops": out,
    }


def _clock(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).strftime("%H:%M") if value else None


def stop_record(job: Intervention | None) -> dict[str, Any]:
    """What the agent recorded on a job: outcome reason, start and end (local HH:MM), notes,
    and every photo (thumbnail and full size, through the permission-checked photo view)."""
    if job is None:
        return {"not_done_reason": "", "started_at": None, "ended_at": None, "notes": "", "photos": []}
    return {
        "not_done_reason": job.get_not_done_reason_display() if job.not_done_reason else "",
        "started_at": _clock(job.started_at),
        "ended_at": _clock(job.ended_at),
        "notes": job.notes,
        "photos": [
            {
                "id": photo.pk,
                "kind": photo.get_kind_display(),
                "thumb": photo_url(photo, size="thumb"),
                "full": photo_url(photo, size="full"),
            }
            for photo in job.photos.all()
        ],
    }


SHEET_PHOTOS_MAX = 6


@dataclass
class SheetStop:
    stop: MissionStop
    job: Intervention | Report
    address: str
    support: str
    surface_m2: Any
    thumbnail: str  # data: URI (works in print and in the PDF without a media server) or ""
    reason: str = ""  # why it is out of the round, translated
    photos: tuple[str, ...] = ()  # every photo of the job as data: URIs (the first is `thumbnail`)
    record: dict[str, Any] | None = None  # stop_record(): what the agent recorded


def _thumbnail(photo: Photo | None) -> str:
    if photo is None:
        return ""
    from PIL import Image  # noqa: PLC0415 — only the sheet needs Pillow

    try:
        with photo.file.open("rb") as handle, Image.open(handle) as image:
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=70)
    except (OSError, ValueError) as exc:
        # A missing or broken file must not stop the sheet from printing.
        logger.warning("photo %s not readable for the sheet: %s", photo.pk, exc)
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def nearest_street_names(*, community: Community, points: dict[int, Point]) -> dict[int, str]:
    if not points:
        return {}
    keys = list(points)
    rows = run_sql(
        sql_path(__file__, "nearest_streets.sql"),
        {
            "keys": keys,
            "xs": [points[k].x for k in keys],
            "ys": [points[k].y for k in keys],
            "community_id": community.pk,
            "srid": settings.RONDE_SRID,
            "max_m": NEAREST_STREET_MAX_M,
        },
    )
    return {int(key): str(name) for key, name in rows}


def sheet_stops(*, mission: Mission) -> list[SheetStop]:
    """The stops in round order (unassigned last) with what the crew needs on paper."""
    photos = _served_photos()
    stops = list(
        mission.stops.select_related("intervention__category", "report__category", "intervention__report")
        .prefetch_related(
            Prefetch("report__photos", queryset=photos), Prefetch("intervention__photos", queryset=photos)
        )
        .order_by("round_index", "sequence", "pk")
    )
    stops.sort(key=lambda s: (s.sequence is None, s.round_index, s.sequence or 0, s.pk))
    jobs = {s.pk: (s.intervention or s.report) for s in stops}
    streets = nearest_street_names(
        community=mission.community, points={pk: job.geom for pk, job in jobs.items() if job is not None}
    )
    out = []
    for stop in stops:
        job = jobs[stop.pk]
        assert job is not None  # the mission_stop_has_job constraint
        report = stop.report or (stop.intervention.report if stop.intervention else None)
        address = stop.address
        if not address and streets.get(stop.pk):
            address = streets[stop.pk]
        # The report's photos, then the agent's (before, after, detail): all of them, capped
        # so that a sheet stays a few pages.
        shots = [
            *(report.photos.all() if report else ()),
            *(stop.intervention.photos.all() if stop.intervention else ()),
        ]
        pictures = tuple(uri for uri in (_thumbnail(p) for p in shots[:SHEET_PHOTOS_MAX]) if uri)
        out.append(
            SheetStop(
                stop=stop,
                job=job,
                address=address,
                support=job.get_support_display() if job.support else "",
                surface_m2=getattr(job, "surface_m2", None),
                thumbnail=pictures[0] if pictures else "",
                reason=stop_reason_text(stop.reason),
                photos=pictures,
                record=stop_record(stop.intervention),
            )
        )
    return out
