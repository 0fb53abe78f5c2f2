"""The audit trail in the admin: a read-only list, and each object's History page.

`AuditedAdminMixin` records admin edits (save_model/delete_model) like the services do, and
shows the object's AuditEvents on its History page.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from core.admin import CommunityScopeMixin

from .models import AuditAction, AuditEvent
from .selectors import history_for_object
from .services import audit_record, diff, snapshot


@admin.register(AuditEvent)
class AuditEventAdmin(CommunityScopeMixin, admin.ModelAdmin):
    list_display = ["created_at", "action", "content_type", "object_id", "username", "source", "community"]
    list_filter = ["action", "source", "content_type", "community"]
    search_fields = ["object_repr", "username", "user_agent"]
    list_select_related = ["content_type", "community"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    # The trail is written by the application only, and never edited.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdminMixin:
    """Put before the ModelAdmin class: admin saves and deletes land in the audit trail."""

    object_history_template: Any = "admin/audit/object_history.html"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change:
            stored = type(obj)._base_manager.filter(pk=obj.pk).first()
            before = snapshot(stored) if stored is not None else None
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if before is None:
            audit_record(obj=obj, action=AuditAction.CREATE)
        else:
            audit_record(obj=obj, action=AuditAction.UPDATE, changes=diff(before, snapshot(obj)))

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit_record(
            obj=obj, action=AuditAction.DELETE, changes={k: [v, None] for k, v in snapshot(obj).items()}
        )
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        obj = self.get_object(request, admin.utils.unquote(object_id))  # type: ignore[attr-defined]
        events = list(history_for_object(obj=obj)[:500]) if obj is not None else []
        context = {**(extra_context or {}), "audit_events": events, "audit_title": _("Changes (audit trail)")}
        return super().history_view(request, object_id, extra_context=context)  # type: ignore[misc]
