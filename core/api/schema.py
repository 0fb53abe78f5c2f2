"""OpenAPI (drf-spectacular) support for our GeoJSON serializers."""

from typing import Any

from drf_spectacular.contrib.rest_framework_gis import (
    GeoFeatureModelSerializerExtension,
    _inject_enum_collision_fix,
)


class CommunityFeatureSerializerExtension(GeoFeatureModelSerializerExtension):
    """The stock extension expects the read-only `id` in request bodies too (KeyError)."""

    target_class = "core.api.base.CommunityFeatureSerializer"
    match_subclasses = True
    priority = 1

    def map_serializer(self, auto_schema: Any, direction: str) -> Any:
        _inject_enum_collision_fix(collection=False)
        base_schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        id_field = self.target.Meta.id_field
        missing_id = id_field and id_field not in base_schema["properties"]
        if missing_id:
            base_schema["properties"][id_field] = {"type": "integer"}
        schema = self.map_geo_feature_model_serializer(self.target, base_schema)
        if missing_id:
            schema["properties"].pop("id", None)
        return schema
