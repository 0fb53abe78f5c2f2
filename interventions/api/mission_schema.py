"""The OpenAPI description of /api/v1/missions/: what it answers, and typed input fields.

The mission views build their GeoJSON Features by hand (interventions.api.missions:
`mission_feature`, `stop_json`); the *Serializer classes below are never used to render,
only to document those bodies field by field, so clients (and schemathesis) can check them.
Keep them in step with the two functions: tests/ops/test_schemathesis.py validates real
answers of every mission operation against this schema.
"""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from accounts.models import Team
from core.api.openapi import geojson_geometry_schema
from interventions.models import (
    MissionStatus,
    OptimizationStage,
    OptimizationStatus,
    RoutingProfile,
    StopStatus,
)


@extend_schema_field(geojson_geometry_schema("Point"), component_name="GeoJSONPoint")
class PointField(GeometryField):
    """A GeoJSON Point in EPSG:4326 (rest_framework_gis cannot describe a GeometryField
    without a model field behind it)."""


@extend_schema_field(geojson_geometry_schema("Polygon"), component_name="GeoJSONPolygon")
class PolygonField(GeometryField):
    """A GeoJSON Polygon in EPSG:4326."""


@extend_schema_field(geojson_geometry_schema("MultiLineString"), component_name="GeoJSONMultiLineString")
class MultiLineStringField(GeometryField):
    """A GeoJSON MultiLineString in EPSG:4326."""


@extend_schema_field(OpenApiTypes.INT)
class TeamIdField(serializers.PrimaryKeyRelatedField):
    """A team of the caller's community (`context["community"]`), by its integer id."""

    def get_queryset(self) -> QuerySet[Team]:
        return Team.objects.filter(community=self.context["community"])


# A wall-clock time of the site's time zone, "HH:MM:SS" (no offset, so not an RFC 3339
# `format: time`, which requires one).
LOCAL_TIME_SCHEMA = {
    "type": "string",
    "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
    "example": "08:30:00",
}


@extend_schema_field(LOCAL_TIME_SCHEMA)
class LocalTimeField(serializers.TimeField):
    """A local time of day, "HH:MM:SS" (settings.TIME_ZONE)."""


@extend_schema_field({"type": "array", "items": {**LOCAL_TIME_SCHEMA, "nullable": True}})
class WindowField(serializers.JSONField):
    """[not before, not after], local times "HH:MM:SS" or null."""


class MissionStopOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField(
        allow_null=True, help_text="Order in the round; null until optimised."
    )
    round = serializers.IntegerField(help_text="Which of the mission's separate rounds (0 first).")
    status = serializers.ChoiceField(choices=StopStatus.choices)
    reason = serializers.CharField(allow_blank=True, help_text="Why the optimiser left it out.")
    intervention = serializers.IntegerField(allow_null=True)
    report = serializers.IntegerField(allow_null=True)
    category = serializers.CharField(allow_null=True, help_text="Category code.")
    category_name = serializers.CharField(allow_null=True)
    address = serializers.CharField(allow_blank=True)
    service_s = serializers.IntegerField(help_text="Time on site, seconds.")
    window = WindowField(help_text="Time window [not before, not after], local times or null.")
    planned_arrival = serializers.DateTimeField(allow_null=True, help_text="Local time with its offset.")
    planned_departure = serializers.DateTimeField(allow_null=True)
    leg_distance_m = serializers.FloatField(allow_null=True, help_text="From the previous stop, metres.")
    leg_duration_s = serializers.IntegerField(allow_null=True, help_text="From the previous stop, seconds.")
    geometry = PointField(allow_null=True, help_text="The job's place.")
    snapped = PointField(allow_null=True, help_text="Where the round reaches the street.")
    snap_distance_m = serializers.FloatField(allow_null=True)


class MissionPropertiesSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    date = serializers.DateField()
    team = serializers.IntegerField()
    team_name = serializers.CharField()
    status = serializers.ChoiceField(choices=MissionStatus.choices)
    notes = serializers.CharField(allow_blank=True)
    profile = serializers.ChoiceField(choices=RoutingProfile.choices)
    start_point = PointField(allow_null=True)
    end_point = PointField(allow_null=True)
    open_round = serializers.BooleanField()
    shift_start = LocalTimeField()
    shift_end = LocalTimeField()
    break_minutes = serializers.IntegerField()
    break_earliest = LocalTimeField(allow_null=True)
    break_latest = LocalTimeField(allow_null=True)
    agents = serializers.IntegerField(help_text="Number of separate rounds.")
    distance_m = serializers.FloatField(
        allow_null=True, help_text="Whole round, metres; null until optimised."
    )
    duration_s = serializers.IntegerField(allow_null=True, help_text="Whole round, seconds.")
    optimized_at = serializers.DateTimeField(allow_null=True)


class MissionSummaryPropertiesSerializer(MissionPropertiesSerializer):
    stop_count = serializers.IntegerField(allow_null=True)


class MissionDetailPropertiesSerializer(MissionPropertiesSerializer):
    stops = MissionStopOutSerializer(many=True)
    route = MultiLineStringField(allow_null=True, help_text="The optimised round.")


class _FeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[("Feature", "Feature")])
    id = serializers.IntegerField()
    geometry = PolygonField(help_text="The mission's zone.")


class MissionSummarySerializer(_FeatureSerializer):
    """One mission in a list: no stops, their count."""

    properties = MissionSummaryPropertiesSerializer()


class MissionSerializer(_FeatureSerializer):
    """One mission with its stops and round."""

    properties = MissionDetailPropertiesSerializer()


class ConflictSerializer(serializers.Serializer):
    """A warning for the dispatcher (interventions.services.missions.mission_conflicts)."""

    kind = serializers.ChoiceField(
        choices=[(k, k) for k in ("team_booked", "job_already_planned", "zone_partly_outside")],
        help_text="job_already_planned: the job was left out of this mission, another active "
        "mission plans it (a job belongs to at most one active mission).",
    )
    detail = serializers.CharField()
    mission = serializers.IntegerField(required=False)
    intervention = serializers.IntegerField(required=False, allow_null=True)
    report = serializers.IntegerField(required=False, allow_null=True)
    mission_name = serializers.CharField(required=False)
    mission_date = serializers.DateField(required=False)
    mission_status = serializers.CharField(required=False)


class BookingSerializer(serializers.Serializer):
    """A job and the active mission that plans it."""

    intervention = serializers.IntegerField(allow_null=True)
    report = serializers.IntegerField(allow_null=True)
    mission = serializers.IntegerField()
    mission_name = serializers.CharField()
    mission_date = serializers.DateField()
    mission_status = serializers.CharField()
    detail = serializers.CharField()


class AlreadyPlannedSerializer(serializers.Serializer):
    """409: a job asked for is already planned in another active mission; nothing changed."""

    detail = serializers.CharField()
    already_planned = BookingSerializer(many=True)


class MissionChangeSerializer(MissionSerializer):
    """The mission after a change, with the conflicts the change raised (nothing is blocked)."""

    conflicts = ConflictSerializer(many=True)


# One round of the plan; a dict of fields because one key, "break", is a Python keyword.
PLAN_ROUND_FIELDS: dict[str, serializers.Field] = {
    "round": serializers.IntegerField(),
    "distance_m": serializers.FloatField(),
    "duration_s": serializers.IntegerField(),
    "start": serializers.DateTimeField(),
    "end": serializers.DateTimeField(),
    "break": serializers.ListField(
        child=serializers.DateTimeField(), allow_null=True, help_text="Break start(s), or null."
    ),
    "stops": serializers.IntegerField(help_text="Number of stops in this round."),
}


class UnassignedSerializer(serializers.Serializer):
    stop = serializers.IntegerField()
    reason = serializers.CharField()


class PlanSerializer(serializers.Serializer):
    """interventions.services.optimize.mission_optimize's summary."""

    distance_m = serializers.FloatField()
    duration_s = serializers.IntegerField()
    rounds = inline_serializer(name="PlanRound", fields=PLAN_ROUND_FIELDS, many=True)
    unassigned = UnassignedSerializer(many=True)
    timings_s = serializers.DictField(child=serializers.FloatField(), help_text="Solver stages, seconds.")


class MissionPlanSerializer(MissionSerializer):
    """The mission after optimisation, with the plan's summary."""

    plan = PlanSerializer()


class OptimizationSerializer(serializers.Serializer):
    """One background optimisation of a mission's round (interventions.api.missions.optimization_json)."""

    id = serializers.IntegerField()
    mission = serializers.IntegerField()
    status = serializers.ChoiceField(choices=OptimizationStatus.choices)
    stage = serializers.ChoiceField(choices=OptimizationStage.choices)
    stage_label = serializers.CharField(help_text="The stage, for people (in the caller's language).")
    progress = serializers.IntegerField(help_text="Percent of the usual time spent, 0–100.")
    stalled = serializers.BooleanField(help_text="Queued for over 30 s: no background worker seems to run.")
    errors = serializers.DictField(  # type: ignore[assignment]  # the field, not Serializer.errors
        child=serializers.ListField(child=serializers.CharField()),
        help_text="When it failed: messages by field, as a 400 would give them.",
    )
    plan = PlanSerializer(allow_null=True, help_text="When done: the plan's summary.")
    status_url = serializers.CharField(help_text="Poll this URL (GET) until `status` is done or failed.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class OptimizationConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    optimization = OptimizationSerializer()
