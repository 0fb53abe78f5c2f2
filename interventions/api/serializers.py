"""GeoJSON serializers of reports and interventions; plain JSON for work categories."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.api.base import CommunityFeatureSerializer
from core.api.fields import GeoJSONGeometryField
from interventions.models import Category, Intervention, InterventionStatus, Report


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "description", "service_minutes", "is_tag", "public", "active"]


def _check_client_uuid(instance: Any, attrs: dict[str, Any]) -> None:
    """The idempotency key is set once, at creation."""
    if instance is not None and "client_uuid" in attrs and attrs["client_uuid"] != instance.client_uuid:
        raise serializers.ValidationError({"client_uuid": ["The client_uuid cannot be changed."]})


class ReportSerializer(CommunityFeatureSerializer):
    geom = GeoJSONGeometryField(geom_types=("Point",))
    category_code = serializers.CharField(source="category.code", read_only=True)
    priority = serializers.IntegerField(min_value=1, max_value=3, required=False)

    class Meta:
        model = Report
        geo_field = "geom"
        fields = [
            "id",
            "category",
            "category_code",
            "status",
            "source",
            "description",
            "address",
            "support",
            "offensive",
            "priority",
            "asset",
            "reporter",
            "duplicate_of",
            "external_id",
            "client_uuid",
            "reported_at",
            "geom",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["reporter", "created_at", "updated_at"]
        extra_kwargs = {"client_uuid": {"validators": []}}  # a replay is answered by the service

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _check_client_uuid(self.instance, attrs)
        if self.instance is not None:
            attrs.pop("client_uuid", None)
        return attrs


class InterventionSerializer(CommunityFeatureSerializer):
    geom = GeoJSONGeometryField(geom_types=("Point",))
    category_code = serializers.CharField(source="category.code", read_only=True)
    priority = serializers.IntegerField(min_value=1, max_value=3, required=False)

    class Meta:
        model = Intervention
        geo_field = "geom"
        fields = [
            "id",
            "category",
            "category_code",
            "status",
            "not_done_reason",
            "report",
            "asset",
            "mission",
            "team",
            "agents",
            "address",
            "support",
            "surface_m2",
            "method",
            "product",
            "offensive",
            "priority",
            "notes",
            "planned_date",
            "started_at",
            "ended_at",
            "external_id",
            "client_uuid",
            "geom",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["address", "created_at", "updated_at"]
        extra_kwargs = {
            "client_uuid": {"validators": []},
            # m², > 0 (also a database constraint).
            "surface_m2": {"min_value": Decimal("0.01")},
            "agents": {"required": False},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Rules across fields, checked against the stored values on a partial update."""
        instance = self.instance
        _check_client_uuid(instance, attrs)
        if instance is not None:
            attrs.pop("client_uuid", None)

        def current(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(instance, name, None)

        started, ended = current("started_at"), current("ended_at")
        if started and ended and ended < started:
            raise serializers.ValidationError(
                {"ended_at": ["The intervention cannot end before it started."]}
            )
        if current("not_done_reason") and current("status") not in (InterventionStatus.NOT_DONE, None):
            raise serializers.ValidationError(
                {"not_done_reason": ["A reason is only given when the status is not_done."]}
            )
        return attrs
