"""The OpenAPI description of /dispatch/api/: what each operation answers.

The views build their JSON by hand (dispatch.selectors, dispatch.api.template_json); these
serializers are never used to render, only to document those bodies so that generated
clients and schemathesis can check them (tests/ops/test_schemathesis.py validates real
answers against them). Keep them in step with the functions they describe.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from core.api.openapi import FEATURE_SCHEMA
from interventions.api.mission_schema import MissionSummarySerializer, PolygonField
from interventions.models import MissionStatus, RoutingProfile, StopStatus, Weekday

DATE_PARAMETER = OpenApiParameter(
    "date",
    OpenApiTypes.DATE,
    description="The day shown (YYYY-MM-DD); today (site time zone) when left out.",
)


@extend_schema_field({"type": "array", "items": FEATURE_SCHEMA})
class FeaturesField(serializers.JSONField):
    """GeoJSON Features (Points in EPSG:4326) with their properties."""


class FeatureCollectionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[("FeatureCollection", "FeatureCollection")])
    features = FeaturesField()


class BoardMissionCollectionSerializer(serializers.Serializer):
    """The day's missions (properties also carry `route`, a MultiLineString or null)."""

    type = serializers.ChoiceField(choices=[("FeatureCollection", "FeatureCollection")])
    features = MissionSummarySerializer(many=True)


class BoardSerializer(serializers.Serializer):
    date = serializers.DateField()
    reports = FeatureCollectionSerializer(help_text="Open reports (properties.kind = report).")
    interventions = FeatureCollectionSerializer(help_text="Open interventions and the day's.")
    missions = BoardMissionCollectionSerializer()


class BookedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mission = serializers.IntegerField()


class BookedListsSerializer(serializers.Serializer):
    reports = BookedSerializer(many=True)
    interventions = BookedSerializer(many=True)


class PreviewAnswerSerializer(serializers.Serializer):
    reports = serializers.ListField(child=serializers.IntegerField(), help_text="Open reports inside.")
    interventions = serializers.ListField(child=serializers.IntegerField())
    booked = BookedListsSerializer(help_text="Those already in a mission that day.")
    team_missions = serializers.ListField(child=serializers.IntegerField())
    outside_territory = serializers.BooleanField()
    zone = PolygonField(help_text="The zone, EPSG:4326.")


class WayOutAgentSerializer(serializers.Serializer):
    agents = serializers.IntegerField()
    fit = serializers.IntegerField(help_text="Jobs that would fit with this many agents.")


class WayOutHourSerializer(serializers.Serializer):
    shift_end = serializers.CharField(help_text="HH:MM, one hour later.")
    fit = serializers.IntegerField(help_text="Jobs that would fit ending then.")


class WaysOutSerializer(serializers.Serializer):
    one_more_agent = WayOutAgentSerializer(allow_null=True)
    one_more_hour = WayOutHourSerializer(allow_null=True)


class FitEstimateAnswerSerializer(serializers.Serializer):
    """interventions.selectors_fit.zone_fit_estimate: an estimate on straight lines."""

    total = serializers.IntegerField(help_text="Jobs the mission would hold (booked and unticked ones out).")
    fit = serializers.IntegerField(help_text="About how many fit the shift.")
    left = serializers.IntegerField(help_text="The others: they would stay in the pool.")
    service_s = serializers.IntegerField(help_text="Time on site of the jobs that fit, seconds.")
    travel_s = serializers.IntegerField(help_text="Their estimated travel, seconds.")
    working_s = serializers.IntegerField(help_text="The agents' working time, seconds, breaks out.")
    agents = serializers.IntegerField()
    profile = serializers.CharField()
    shift_start = serializers.CharField()
    shift_end = serializers.CharField()
    from_depot = serializers.BooleanField(help_text="False: no depot, estimated from the zone's middle.")
    ways_out = WaysOutSerializer()


class ProgressCountsSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()
    not_done = serializers.IntegerField()
    unassigned = serializers.IntegerField()


class ProgressStopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField(allow_null=True)
    round = serializers.IntegerField()
    state = serializers.ChoiceField(choices=[*StopStatus.choices, ("in_progress", "in_progress")])


class ProgressSerializer(serializers.Serializer):
    mission = serializers.IntegerField()
    status = serializers.ChoiceField(choices=MissionStatus.choices)
    updated_at = serializers.DateTimeField()
    counts = ProgressCountsSerializer()
    stops = ProgressStopSerializer(many=True)


class SkippedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()


class BulkAnswerSerializer(serializers.Serializer):
    action = serializers.CharField()
    updated = serializers.ListField(child=serializers.IntegerField())
    skipped = SkippedSerializer(many=True, help_text="Interventions left unchanged, with why.")


class TemplateAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.IntegerField()
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    weekday_name = serializers.CharField()
    weekdays = serializers.ListField(child=serializers.ChoiceField(choices=Weekday.choices))
    weekday_names = serializers.ListField(child=serializers.CharField())
    every_weeks = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    profile = serializers.ChoiceField(choices=RoutingProfile.choices)
    open_round = serializers.BooleanField()
    shift_start = serializers.CharField(help_text="HH:MM, site time.")
    shift_end = serializers.CharField(help_text="HH:MM, site time.")
    active = serializers.BooleanField()
    zone = PolygonField(allow_null=True)


class TemplateListSerializer(serializers.Serializer):
    results = TemplateAnswerSerializer(many=True)
