"""Admin of soft-deleted interventions and missions: listed on demand, restorable, never
hard-deleted from the admin (only `purge_deleted` removes rows)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import admin_communities

from .services.deletion import restore, soft_delete


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Deleted only")), ("all", _("All, deleted included"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(deleted_at__isnull=True)


@admin.action(description=_("Restore the selected deleted rows"))
def restore_selected(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    rows = list(queryset.filter(deleted_at__isnull=False))
    for row in rows:
        restore(obj=row)
    modeladmin.message_user(
        request, ngettext("%d row restored.", "%d rows restored.", len(rows)) % len(rows), messages.SUCCESS
    )


class SoftDeleteAdminMixin:
    """Put before the ModelAdmin class of a model with `deleted_at` and `all_objects`."""

    actions: Any = [restore_selected]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [DeletedFilter, *super().get_list_filter(request)]  # type: ignore[misc]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The default manager hides deleted rows; the admin must see them to restore them.
        model = self.model  # type: ignore[attr-defined]
        qs = model.all_objects.get_queryset()
        ordering = self.get_ordering(request)  # type: ignore[attr-defined]
        if ordering:
            qs = qs.order_by(*ordering)
        communities = admin_communities(request)
        return qs if communities is None else qs.filter(community__in=communities)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        soft_delete(obj=obj, user=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            soft_delete(obj=obj, user=request.user)  # type: ignore[arg-type]
