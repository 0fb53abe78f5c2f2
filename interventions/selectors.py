"""Reads of the interventions app, always scoped to one community."""

from django.db.models import Prefetch, QuerySet

from accounts.models import Community, User
from core.api.fields import GEOJSON_ANNOTATION
from geo.selectors import point_geojson_4326

from .models import Category, Intervention, Report


def categories_for_community(*, community: Community) -> QuerySet[Category]:
    return Category.objects.filter(community=community).order_by("name", "id")


def reports_for_community(*, community: Community) -> QuerySet[Report]:
    """Newest first; the category comes by join (its code is in every API row)."""
    return (
        Report.objects.filter(community=community)
        .select_related("category")
        .annotate(**{GEOJSON_ANNOTATION: point_geojson_4326()})
        .order_by("-reported_at", "-id")
    )


def interventions_for_community(*, community: Community) -> QuerySet[Intervention]:
    """Newest first; agents prefetched in id order (the API lists their ids sorted)."""
    return (
        Intervention.objects.filter(community=community)
        .select_related("category")
        .prefetch_related(Prefetch("agents", queryset=User.objects.only("id").order_by("id")))
        .annotate(**{GEOJSON_ANNOTATION: point_geojson_4326()})
        .order_by("-created_at", "-id")
    )
