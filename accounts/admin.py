"""Admin of communities, users, memberships and teams (scoped: core.admin).

A community administrator the platform made staff manages the people of their communities,
never the platform: they do not see or change `is_superuser`, `is_staff`, groups or model
permissions (only a superuser grants those), cannot open a superuser or a user who also
belongs to a community they do not administer (changing that user's password or email would
reach into the other community), and cannot change their own memberships (their role).
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from core.admin import CommunityScopedAdmin, CommunityScopedInline, CommunityScopeMixin, admin_communities

from .models import Community, IdentityProvider, Membership, Team, User

# What only a superuser sees and changes on a user.
PLATFORM_USER_FIELDS = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})


def user_manageable_by(request: HttpRequest, user: User) -> bool:
    """May the caller change `user` in the admin? A superuser: anyone. Anyone else: a
    non-superuser all of whose memberships are in communities the caller administers."""
    communities = admin_communities(request)
    if communities is None:
        return True
    if user.is_superuser:
        return False
    return not user.memberships.exclude(community__in=communities).exists()


def _own_membership(request: HttpRequest, user_id: Any) -> bool:
    return not request.user.is_superuser and user_id == request.user.pk


class MembershipInline(CommunityScopedInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    # One's own roles are not on the form (no self-promotion or demotion): a superuser sets them.
    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.exclude(user_id=request.user.pk)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _exclude_self_and_superusers(db_field, request, field)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        own = isinstance(obj, User) and _own_membership(request, obj.pk)
        return not own and super().has_add_permission(request, obj)


def _exclude_self_and_superusers(db_field: Any, request: HttpRequest, field: Any) -> Any:
    """No membership, hence no role, given to oneself or to a superuser by a non-superuser."""
    if db_field.name == "user" and not request.user.is_superuser and field is not None:
        field.queryset = field.queryset.exclude(pk=request.user.pk).exclude(is_superuser=True)
    return field


@admin.register(Community)
class CommunityAdmin(CommunityScopedAdmin):
    community_path = "pk"
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def territory_for(self, request: HttpRequest, obj: Any) -> Any:
        return obj.territory if obj is not None else super().territory_for(request, None)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new tenant is a platform decision (or `manage.py create_community`).
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(User)
class RondeUserAdmin(CommunityScopeMixin, UserAdmin):
    community_path = "memberships__community"
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "memberships__role", "memberships__community"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.exclude(is_superuser=True)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        out = []
        for name, options in fieldsets:
            fields = [f for f in options.get("fields", ()) if f not in PLATFORM_USER_FIELDS]
            if fields:
                out.append((name, {**options, "fields": fields}))
        return out

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["last_login", "date_joined"]
        return readonly

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        return filters if request.user.is_superuser else [f for f in filters if f != "is_staff"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or user_manageable_by(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or user_manageable_by(request, obj))


@admin.register(Membership)
class MembershipAdmin(CommunityScopedAdmin):
    list_display = ["user", "community", "role", "created_at"]
    list_filter = ["role", "community"]
    search_fields = ["user__username", "user__email", "community__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "community"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _exclude_self_and_superusers(db_field, request, field)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        own = obj is not None and _own_membership(request, obj.user_id)
        return not own and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        own = obj is not None and _own_membership(request, obj.user_id)
        return not own and super().has_delete_permission(request, obj)


@admin.register(Team)
class TeamAdmin(CommunityScopedAdmin):
    list_display = ["name", "community", "active", "hourly_cost"]
    list_filter = ["active", "community"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    list_select_related = ["community"]


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    """The platform operator's: a community administrator never sees a provider or its secret."""

    list_display = ["name", "community", "issuer", "enabled"]
    list_filter = ["enabled"]
    # The secret is a plain input (not shown back masked): the operator pastes and checks it.

    def _superuser(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)
