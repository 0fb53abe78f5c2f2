"""Admin of categories, reports, interventions, missions and photos (scoped: core.admin)."""

from django.contrib import admin

from audit.admin import AuditedAdminMixin
from core.admin import CommunityScopedAdmin

from .admin_softdelete import SoftDeleteAdminMixin
from .models import Category, Intervention, Mission, Photo, Report


@admin.register(Category)
class CategoryAdmin(CommunityScopedAdmin):
    list_display = ["code", "name", "service_minutes", "is_tag", "public", "active", "community"]
    list_filter = ["is_tag", "public", "active", "community"]
    search_fields = ["code", "name"]
    list_select_related = ["community"]


@admin.register(Report)
class ReportAdmin(AuditedAdminMixin, CommunityScopedAdmin):
    list_display = ["id", "category", "status", "source", "priority", "reported_at", "community"]
    list_filter = ["status", "source", "priority", "offensive", "reported_at", "community"]
    search_fields = ["description", "address", "external_id"]
    raw_id_fields = ["asset", "reporter", "duplicate_of"]
    list_select_related = ["category", "community"]
    readonly_fields = ["client_uuid", "created_at", "updated_at"]


@admin.register(Intervention)
class InterventionAdmin(SoftDeleteAdminMixin, AuditedAdminMixin, CommunityScopedAdmin):
    list_display = ["id", "category", "status", "planned_date", "ended_at", "team", "surface_m2", "community"]
    list_filter = ["status", "method", "support", "offensive", "planned_date", "community"]
    search_fields = ["notes", "product", "external_id"]
    raw_id_fields = ["report", "asset", "mission"]
    filter_horizontal = ["agents"]
    list_select_related = ["category", "team", "community"]
    readonly_fields = ["client_uuid", "created_at", "updated_at", "deleted_at", "deleted_by"]


@admin.register(Mission)
class MissionAdmin(SoftDeleteAdminMixin, AuditedAdminMixin, CommunityScopedAdmin):
    list_display = ["__str__", "date", "team", "status", "community"]
    list_filter = ["status", "date", "community"]
    search_fields = ["name", "notes"]
    list_select_related = ["team", "community"]
    readonly_fields = ["created_by", "created_at", "updated_at", "deleted_at", "deleted_by"]


@admin.register(Photo)
class PhotoAdmin(CommunityScopedAdmin):
    list_display = ["id", "kind", "taken_at", "intervention", "report", "community"]
    list_filter = ["kind", "community"]
    raw_id_fields = ["intervention", "report"]
    list_select_related = ["community"]
