"""The OpenAPI description of the field app's sync API (/agent/api/): what each operation
answers. The views build their JSON with agent.serializers' *_json functions; these
serializers are never used to render, only to document those bodies (keep them in step)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers

from interventions.api.mission_schema import MultiLineStringField, PolygonField
from interventions.models import InterventionStatus, MissionStatus

from .serializers import PhotoUploadSerializer

POSITION = {
    "type": "array",
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 2,
    "nullable": True,
    "description": "[longitude, latitude], EPSG:4326",
}


@extend_schema_field(POSITION)
class PositionField(serializers.JSONField):
    """[lon, lat] in degrees, or null."""


@extend_schema_field({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4})
class BboxField(serializers.JSONField):
    """[min lon, min lat, max lon, max lat]."""


class AgentMissionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    date = serializers.DateField()
    status = serializers.ChoiceField(choices=MissionStatus.choices)
    team = serializers.CharField(help_text="The team's name.")


class AgentCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_tag = serializers.BooleanField()


class AgentMissionListSerializer(serializers.Serializer):
    today = serializers.DateField()
    community = serializers.CharField(help_text="The community's slug.")
    missions = AgentMissionSummarySerializer(many=True)
    categories = AgentCategorySerializer(many=True)


class StopDefaultsSerializer(serializers.Serializer):
    support = serializers.CharField(allow_blank=True)
    offensive = serializers.BooleanField()
    surface_m2 = serializers.CharField(allow_blank=True)
    method = serializers.CharField(allow_blank=True)
    product = serializers.CharField(allow_blank=True)
    priority = serializers.IntegerField()


class StopSerializer(serializers.Serializer):
    key = serializers.CharField()
    sequence = serializers.IntegerField(allow_null=True)
    stop_id = serializers.IntegerField(allow_null=True)
    intervention_id = serializers.IntegerField(allow_null=True)
    client_uuid = serializers.UUIDField(allow_null=True)
    status = serializers.CharField()
    category = serializers.CharField(help_text="The category's name.")
    position = PositionField()
    address = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    defaults = StopDefaultsSerializer(help_text="Values the recording form starts with.")


class AgentMissionSerializer(AgentMissionSummarySerializer):
    notes = serializers.CharField(allow_blank=True)
    zone = PolygonField()
    bbox = BboxField()
    route = MultiLineStringField(allow_null=True)
    distance_m = serializers.FloatField(allow_null=True)
    depot = PositionField()
    stops = StopSerializer(many=True)


class InterventionSyncedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(choices=InterventionStatus.choices)
    not_done_reason = serializers.CharField(allow_blank=True)
    support = serializers.CharField(allow_blank=True)
    surface_m2 = serializers.CharField(allow_null=True, help_text="Square metres, a decimal string.")
    method = serializers.CharField(allow_blank=True)
    product = serializers.CharField(allow_blank=True)
    offensive = serializers.BooleanField()
    notes = serializers.CharField(allow_blank=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    position = PositionField()
    mission_id = serializers.IntegerField(allow_null=True)
    flagged = serializers.BooleanField()
    applied = serializers.BooleanField(help_text="False: a newer edit was already recorded.")
    flags = serializers.ListField(child=serializers.CharField())


class ReportSyncedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    position = PositionField()


class PhotoSyncedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField(allow_null=True)
    kind = serializers.CharField()
    intervention_id = serializers.IntegerField(allow_null=True)
    report_id = serializers.IntegerField(allow_null=True)
    taken_at = serializers.DateTimeField()
    url = serializers.CharField()
    thumbnail_url = serializers.CharField()


def synced(serializer: type[serializers.Serializer]) -> dict[int, OpenApiResponse]:
    """PUT on a client UUID: 201 the first time, 200 with the same object on a replay."""
    return {
        201: OpenApiResponse(serializer, description="Created (first time this client_uuid is seen)."),
        200: OpenApiResponse(serializer, description="Already recorded: the same object (a replay)."),
    }


PHOTO_REQUEST = {
    "image/jpeg": OpenApiTypes.BINARY,  # the field app's way: the body is the photo
    "multipart/form-data": PhotoUploadSerializer,
}
# The fields of a photo sent as its body (agent/parsers.py), in the query string.
PHOTO_QUERY = [
    OpenApiParameter("kind", str, description="before or after (photo sent as the body)"),
    OpenApiParameter("intervention", OpenApiTypes.UUID, description="the intervention's client key"),
    OpenApiParameter("report", OpenApiTypes.UUID, description="or the report's client key"),
    OpenApiParameter("taken_at", OpenApiTypes.DATETIME),
    OpenApiParameter("lon", float),
    OpenApiParameter("lat", float),
]
