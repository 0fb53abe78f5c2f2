"""/api/v1/zones/, /api/v1/assets/, /api/v1/asset-categories/ (roles: accounts.permissions)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from accounts.permissions import CommunityRole, request_membership
from core.api.base import CommunityViewSet
from core.api.filters import FilterSpec, filter_parameters
from core.api.pagination import JsonPagination
from geo import selectors
from geo.models import Asset, AssetCategory, Zone
from geo.services.assets import asset_create, asset_delete, asset_update
from geo.services.zones import zone_create, zone_delete, zone_update

from .serializers import AssetCategorySerializer, AssetSerializer, ZoneSerializer

ZONE_FILTERS = FilterSpec()
ASSET_FILTERS = FilterSpec(category_model=AssetCategory, zone_model=Zone, bbox_field="geom_3857")


@extend_schema_view(list=extend_schema(parameters=filter_parameters(ZONE_FILTERS)))
class ZoneViewSet(CommunityViewSet):
    """Districts and sectors of the community (MultiPolygons). Admins write."""

    model = Zone
    serializer_class = ZoneSerializer
    filter_spec = ZONE_FILTERS

    def base_queryset(self) -> QuerySet[Zone]:
        return selectors.zones_for_community(community=self.community)

    def perform_service_create(self, data: dict[str, Any]) -> Zone:
        return zone_create(community=self.community, **data)

    def perform_service_update(self, instance: Zone, data: dict[str, Any]) -> Zone:
        return zone_update(zone=instance, data=data)

    def perform_service_destroy(self, instance: Zone) -> None:
        zone_delete(zone=instance)


@extend_schema_view(list=extend_schema(parameters=filter_parameters(ASSET_FILTERS)))
class AssetViewSet(CommunityViewSet):
    """The asset registry: street furniture, green spaces, surfaces. Admins write."""

    model = Asset
    serializer_class = AssetSerializer
    filter_spec = ASSET_FILTERS

    def base_queryset(self) -> QuerySet[Asset]:
        return selectors.assets_for_community(community=self.community)

    def perform_service_create(self, data: dict[str, Any]) -> Asset:
        return asset_create(community=self.community, **data)

    def perform_service_update(self, instance: Asset, data: dict[str, Any]) -> Asset:
        return asset_update(asset=instance, data=data)

    def perform_service_destroy(self, instance: Asset) -> None:
        asset_delete(asset=instance)


class AssetCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Asset categories of the community (managed in the admin)."""

    serializer_class = AssetCategorySerializer
    pagination_class = JsonPagination
    permission_classes = [IsAuthenticated, CommunityRole]

    def get_queryset(self) -> QuerySet[AssetCategory]:
        if getattr(self, "swagger_fake_view", False):
            return AssetCategory.objects.none()
        return selectors.asset_categories_for_community(community=request_membership(self.request).community)
