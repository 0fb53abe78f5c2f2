"""What every Ronde admin page shares: local map widgets and scoping to the user's communities.

A superuser sees every community. Any other staff user (a community administrator the
platform made staff) sees and edits only the rows of the communities where they are an admin
(Membership role "admin"); foreign keys and list filters offer only those communities' rows.

Secure by default: `lock_unscoped_admins` (run once the admin site is populated, core.apps)
makes every registered ModelAdmin that is not community-scoped (Django's groups, the task
queue, login attempts, anything a new app forgets to scope) superuser-only.
tests/admin/test_admin_scoping.py walks the registry for a non-superuser to keep it so.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
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


class CommunityScopeMixin:
    """Rows, foreign-key choices and relation filters limited to the administered communities.

    Shared by whole-page admins (CommunityScopedAdmin) and inlines (CommunityScopedInline): an
    inline left unscoped would let a community administrator attach a row (a membership, say)
    to another community from a page they may open.
    """

    # Lookup from this model to its Community.
    community_path = "community"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        communities = admin_communities(request)
        if communities is None:
            return qs
        return qs.filter(**{f"{self.community_path}__in": communities}).distinct()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def get_list_filter(self, request: HttpRequest) -> Any:
        """Relation filters list only related rows the caller can see (not every community's
        names): Django's default filter offers the whole related table."""
        filters = list(super().get_list_filter(request))  # type: ignore[misc]
        if admin_communities(request) is None:
            return filters
        out: list[Any] = []
        for item in filters:
            model = self.model  # type: ignore[attr-defined]
            if isinstance(item, str) and get_fields_from_path(model, item)[-1].is_relation:
                item = (item, admin.RelatedOnlyFieldListFilter)
            out.append(item)
        return out

    @staticmethod
    def _scope_choices(db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        communities = admin_communities(request)
        if communities is not None and "queryset" not in kwargs:
            scoped = _scoped(db_field.related_model, communities)
            if scoped is not None:
                kwargs["queryset"] = scoped


class CommunityScopedAdmin(CommunityScopeMixin, GISModelAdmin):
    gis_widget = LocalOpenLayersWidget  # type: ignore[assignment]  # the stubs expect an instance
    list_per_page = 50
    # COUNT(*) over a million rows on every page is not worth it.
    show_full_result_count = False

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


class CommunityScopedInline(CommunityScopeMixin, admin.TabularInline):
    """A tabular inline scoped like CommunityScopedAdmin."""


class SuperuserOnlyMixin:
    """No page, list or action of this admin for anyone but a superuser."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    has_add_permission = has_module_permission  # type: ignore[assignment]
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission


def is_community_scoped(model_admin: Any) -> bool:
    return isinstance(model_admin, CommunityScopeMixin | SuperuserOnlyMixin)


def lock_unscoped_admins(site: admin.AdminSite) -> list[str]:
    """Make every registered admin that is not community-scoped superuser-only; their labels.

    Its inlines count too: an admin with an unscoped inline is locked whole.
    """
    locked: list[str] = []
    for model, model_admin in list(site._registry.items()):
        inlines_scoped = all(issubclass(inline, CommunityScopeMixin) for inline in model_admin.inlines)
        if is_community_scoped(model_admin) and inlines_scoped:
            continue
        cls = type(model_admin)
        locked_cls = type(
            f"SuperuserOnly{cls.__name__}", (SuperuserOnlyMixin, cls), {"__module__": cls.__module__}
        )
        site.unregister(model)
        site.register(model, locked_cls)
        locked.append(model._meta.label)
    return locked
