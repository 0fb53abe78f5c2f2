"""Admin of zones, the asset registry and the street network (scoped: core.admin)."""

from django.contrib import admin

from core.admin import CommunityScopedAdmin

from .models import Asset, AssetCategory, StreetSegment, Zone


@admin.register(Zone)
class ZoneAdmin(CommunityScopedAdmin):
    list_display = ["name", "kind", "external_id", "community"]
    list_filter = ["kind", "community"]
    search_fields = ["name", "external_id"]
    list_select_related = ["community"]


@admin.register(AssetCategory)
class AssetCategoryAdmin(CommunityScopedAdmin):
    list_display = ["code", "name", "kind", "community"]
    list_filter = ["kind", "community"]
    search_fields = ["code", "name"]
    list_select_related = ["community"]


@admin.register(Asset)
class AssetAdmin(CommunityScopedAdmin):
    list_display = ["id", "name", "category", "support", "external_id", "community"]
    list_filter = ["category__kind", "support", "community"]
    search_fields = ["name", "external_id"]
    list_select_related = ["category", "community"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(StreetSegment)
class StreetSegmentAdmin(CommunityScopedAdmin):
    list_display = ["id", "name", "highway", "kind", "oneway", "length_m", "community"]
    list_filter = ["kind", "oneway", "highway", "community"]
    search_fields = ["name", "external_id"]
    list_select_related = ["community"]
    readonly_fields = ["source", "target"]
