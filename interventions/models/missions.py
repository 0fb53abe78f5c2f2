from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, Team

from .softdelete import LiveManager, deleted_at_field, deleted_by_field


class MissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class RoutingProfile(models.TextChoices):
    WALK = "walk", _("On foot")
    DRIVE = "drive", _("By vehicle")
    BIKE = "bike", _("By bike")


# What a mission carries that the per-request paths never read: the optimiser's street matrix
# (megabytes of JSON once a round is planned) and the drawn route (thousands of vertices).
# Loading them with every field-app sync or photo of one of its stops parsed them each time.
MISSION_HEAVY_FIELDS = ("routing_cache", "route")


def without_heavy_mission_fields(path: str = "mission") -> list[str]:
    """The `defer()` names of MISSION_HEAVY_FIELDS for a mission reached through `path`."""
    return [f"{path}__{name}" for name in MISSION_HEAVY_FIELDS]


class Mission(models.Model):
    """A tournée: a team's planned round for one date inside a zone."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="missions")
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    date = models.DateField(_("date"))
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="missions")
    status = models.CharField(
        _("status"), max_length=16, choices=MissionStatus.choices, default=MissionStatus.DRAFT
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    zone = models.PolygonField(_("zone"), srid=settings.RONDE_SRID, spatial_index=False)
    # --- Round planning (what the optimiser is asked) ---
    profile = models.CharField(
        _("travel mode"), max_length=8, choices=RoutingProfile.choices, default=RoutingProfile.DRIVE
    )
    # Null start = the team's depot; null end = back to the start (unless open_round).
    start_point = models.PointField(_("start point"), srid=settings.RONDE_SRID, null=True, blank=True)
    end_point = models.PointField(_("end point"), srid=settings.RONDE_SRID, null=True, blank=True)
    # An open round ends at the last site instead of returning.
    open_round = models.BooleanField(_("open round"), default=False)
    # Local wall-clock times on `date` (settings.TIME_ZONE).
    shift_start = models.TimeField(_("shift start"), default="08:00")
    shift_end = models.TimeField(_("shift end"), default="16:00")
    # Lunch break of break_minutes, starting anywhere in [break_earliest, break_latest].
    break_minutes = models.PositiveIntegerField(_("break (min)"), default=0)
    break_earliest = models.TimeField(_("break not before"), null=True, blank=True)
    break_latest = models.TimeField(_("break starts by"), null=True, blank=True)
    # Number of agents (or pairs) working separate rounds in the zone.
    agents = models.PositiveSmallIntegerField(_("separate rounds"), default=1)
    # --- Round planning (what the optimiser answered) ---
    route = models.MultiLineStringField(_("route"), srid=settings.RONDE_SRID, null=True, blank=True)
    distance_m = models.FloatField(_("distance (m)"), null=True, blank=True)
    duration_s = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    optimized_at = models.DateTimeField(_("optimised at"), null=True, blank=True)
    # Snaps + cost matrix, keyed by a hash of the stops, profile and street network
    # (geo.routing.planner.cache_key): recomputing the matrix dominates optimisation time.
    routing_cache = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Soft delete (interventions/models/softdelete.py): hidden everywhere, restorable by an admin.
    deleted_at = deleted_at_field()
    deleted_by = deleted_by_field()

    objects = LiveManager()
    all_objects = models.Manager()

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["-date", "-created_at"]
        indexes = [
            GistIndex(name="mission_zone_gist", fields=["zone"]),
            models.Index(fields=["community", "date"], name="mission_community_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MissionStatus.values), name="mission_status_valid"),
            models.CheckConstraint(
                condition=Q(profile__in=RoutingProfile.values), name="mission_profile_valid"
            ),
            models.CheckConstraint(condition=Q(shift_end__gt=F("shift_start")), name="mission_shift_order"),
            models.CheckConstraint(condition=Q(agents__gte=1), name="mission_agents_positive"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.team} {self.date}"


class StopStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    NOT_DONE = "not_done", _("Not done")
    UNASSIGNED = "unassigned", _("Not in the round")


class MissionStop(models.Model):
    """One job of a mission (an intervention, or a report not yet turned into one)."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="stops")
    # Order in its round (1-based); null until optimised or when unassigned.
    sequence = models.PositiveIntegerField(_("order"), null=True, blank=True)
    # Which of the mission's rounds (0 … agents-1).
    round_index = models.PositiveSmallIntegerField(_("round"), default=0)
    intervention = models.ForeignKey(
        "interventions.Intervention", on_delete=models.CASCADE, null=True, blank=True, related_name="stops"
    )
    report = models.ForeignKey(
        "interventions.Report", on_delete=models.CASCADE, null=True, blank=True, related_name="stops"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=StopStatus.choices, default=StopStatus.PLANNED
    )
    # Why the optimiser left it out (unreachable, does not fit the shift…), for people.
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    # Optional time window on the mission's date (e.g. a school wall before 08:30).
    window_start = models.TimeField(_("not before"), null=True, blank=True)
    window_end = models.TimeField(_("not after"), null=True, blank=True)
    service_s = models.PositiveIntegerField(_("time on site (s)"), default=1800)
    # True while this stop books its job: the mission is active (draft, dispatched, in
    # progress, not deleted) and the optimiser kept the stop. A job is booked at most once
    # (constraints below); a dropped stop (unassigned) leaves its job in the pool.
    # Kept by interventions.services.missions (mission_stops_hold).
    holds_job = models.BooleanField(_("books its job"), default=True, editable=False)
    planned_arrival = models.DateTimeField(_("planned arrival"), null=True, blank=True)
    planned_departure = models.DateTimeField(_("planned departure"), null=True, blank=True)
    # The leg that arrives at this stop: metres on the network / seconds of travel.
    leg_distance_m = models.FloatField(_("leg distance (m)"), null=True, blank=True)
    leg_duration_s = models.PositiveIntegerField(_("leg duration (s)"), null=True, blank=True)
    # Where the round meets the street network (storage SRID) and how far that is.
    snapped = models.PointField(_("snapped position"), srid=settings.RONDE_SRID, null=True, blank=True)
    snap_distance_m = models.FloatField(_("snap distance (m)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mission stop")
        verbose_name_plural = _("mission stops")
        ordering = ["round_index", "sequence", "pk"]
        constraints = [
            models.CheckConstraint(
                # A report keeps its stop when dispatch turns it into an intervention.
                condition=Q(intervention__isnull=False) | Q(report__isnull=False),
                name="mission_stop_has_job",
            ),
            models.UniqueConstraint(
                fields=["mission", "intervention"],
                condition=Q(intervention__isnull=False),
                name="mission_stop_intervention_once",
            ),
            models.UniqueConstraint(
                fields=["mission", "report"],
                condition=Q(report__isnull=False),
                name="mission_stop_report_once",
            ),
            # A job is planned in at most one active mission (issue 18).
            models.UniqueConstraint(
                fields=["intervention"],
                condition=Q(holds_job=True, intervention__isnull=False),
                name="mission_stop_intervention_one_active",
            ),
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(holds_job=True, intervention__isnull=True, report__isnull=False),
                name="mission_stop_report_one_active",
            ),
            models.CheckConstraint(
                condition=Q(status__in=StopStatus.values), name="mission_stop_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gt=F("window_start")),
                name="mission_stop_window_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mission} #{self.sequence}"

    @property
    def address(self) -> str:
        """Where to go, for people: the intervention's address, else the report's (both
        written, or computed from the BAN and street names by geo_fill_address)."""
        return job_address(self.intervention, self.report)


def job_address(intervention: Any, report: Any) -> str:
    """The address of a job: its intervention's, else (or if empty) its report's."""
    return (intervention.address if intervention is not None else "") or (
        report.address if report is not None else ""
    )
