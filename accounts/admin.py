"""Admin of communities, users, memberships and teams (scoped: core.admin)."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from core.admin import CommunityScopedAdmin, admin_communities

from .models import Community, Membership, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


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
class RondeUserAdmin(UserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "memberships__role", "memberships__community"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)
        communities = admin_communities(request)
        if communities is None:
            return qs
        return qs.filter(memberships__community__in=communities).distinct()


@admin.register(Membership)
class MembershipAdmin(CommunityScopedAdmin):
    list_display = ["user", "community", "role", "created_at"]
    list_filter = ["role", "community"]
    search_fields = ["user__username", "user__email", "community__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "community"]


@admin.register(Team)
class TeamAdmin(CommunityScopedAdmin):
    list_display = ["name", "community", "active", "hourly_cost"]
    list_filter = ["active", "community"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    list_select_related = ["community"]
