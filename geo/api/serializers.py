"""GeoJSON serializers of zones and assets (EPSG:4326 out and in)."""

from rest_framework import serializers

from core.api.base import CommunityFeatureSerializer
from core.api.fields import GeoJSONGeometryField
from geo.models import Asset, AssetCategory, Zone


class ZoneSerializer(CommunityFeatureSerializer):
    geom = GeoJSONGeometryField(geom_types=("MultiPolygon", "Polygon"))

    class Meta:
        model = Zone
        geo_field = "geom"
        fields = ["id", "name", "kind", "external_id", "attributes", "geom", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class AssetSerializer(CommunityFeatureSerializer):
    geom = GeoJSONGeometryField(
        geom_types=("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")
    )
    category_code = serializers.CharField(source="category.code", read_only=True)

    class Meta:
        model = Asset
        geo_field = "geom"
        fields = [
            "id",
            "category",
            "category_code",
            "name",
            "external_id",
            "support",
            "address",
            "attributes",
            "geom",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["address", "created_at", "updated_at"]


class AssetCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = AssetCategory
        fields = ["id", "code", "name", "kind", "active"]
