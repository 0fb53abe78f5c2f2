from django.contrib import admin

from core.admin import CommunityScopedAdmin

from .models import AuditEntry, InterventionSync


@admin.register(InterventionSync)
class InterventionSyncAdmin(CommunityScopedAdmin):
    """Flagged field work (cancelled or reassigned missions) for the dispatcher to check."""

    list_display = ("intervention", "community", "flagged", "flag_reason", "client_updated_at", "updated_by")
    list_filter = ("flagged", "flag_reason", "community")
    raw_id_fields = ("intervention", "updated_by")


@admin.register(AuditEntry)
class AuditEntryAdmin(CommunityScopedAdmin):
    list_display = ("created_at", "kind", "community", "intervention", "mission", "user")
    list_filter = ("kind", "community")
    raw_id_fields = ("intervention", "mission", "user")
    readonly_fields = ("detail",)
