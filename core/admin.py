"""What every Ronde admin page shares: local map widgets and scoping to the user's communities.

A superuser sees every community. Any other staff user sees and edits only the rows of
the communities where they are an admin (Membership role "admin"); foreign keys offer
only those communities' rows.
"""

from typing import Any

from django.contrib.gis.admin import GISModelAdmin
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.models import Community, Role, User

from .widgets import LocalOpenLayersWidget


def admin_communities(request: HttpRequest) -> QuerySet[Community] | None:
    """The communities `request.user` administers; None means all (superuser)."""
    user = request.user
    if user.is_superuser:
        return None
    return Community.objects.filter(memberships__user_id=int(user.pk or 0), memberships__role=Role.ADMIN)


def _scoped(model: type[Model], communities: QuerySet[Community]) -> QuerySet[Any] | None:
    if model is Community:
        return communities
    if model is User:
        return User.objects.filter(memberships__community__in=communities).distinct()
    if any(f.name == "community" for f in model._meta.get_fields()):
        return model._default_manager.filter(community__in=communities)
    return None


class CommunityScopedAdmin(GISModelAdmin):
    gis_widget = LocalOpenLayersWidget  # type: ignore[assignment]  # the stubs expect an instance
    # Lookup from this model to its Community.
    community_path = "community"
    list_per_page = 50
    # COUNT(*) over a million rows on every page is not worth it.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        communities = admin_communities(request)
        if communities is None:
            return qs
        return qs.filter(**{f"{self.community_path}__in": communities}).distinct()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        communities = admin_communities(request)
        if communities is not None and "queryset" not in kwargs:
            scoped = _scoped(db_field.related_model, communities)
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        communities = admin_communities(request)
        if communities is not None and "queryset" not in kwargs:
            scoped = _scoped(db_field.related_model, communities)
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def territory_for(self, request: HttpRequest, obj: Any) -> GEOSGeometry | None:
        community = getattr(obj, "community", None) if obj is not None else None
        if community is None:
            communities = admin_communities(request)
            community = (communities if communities is not None else Community.objects.all()).first()
        return community.territory if community is not None else None

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        territory = self.territory_for(request, obj)
        for field in form.base_fields.values():
            if isinstance(field.widget, LocalOpenLayersWidget):
                field.widget.set_territory(territory)
        return form
