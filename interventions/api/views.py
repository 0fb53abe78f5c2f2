"""/api/v1/reports/, /api/v1/interventions/, /api/v1/categories/ (roles: accounts.permissions).

Date filters: reports filter `reported_at`; interventions filter `planned_date` by default,
or `ended_at` with `date_field=ended_at` (work actually done in the period).
"""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated

from accounts.models import Role, User
from accounts.permissions import CommunityRole, request_membership
from audit.api import HistoryMixin
from core.api.base import CommunityViewSet
from core.api.filters import FilterSpec, filter_parameters
from core.api.pagination import JsonPagination
from geo.models import Zone
from interventions import selectors
from interventions.models import (
    Category,
    Intervention,
    InterventionStatus,
    Report,
    ReportSource,
    ReportStatus,
)
from interventions.services.interventions import (
    AGENT_FIELDS,
    intervention_create,
    intervention_delete,
    intervention_update,
)
from interventions.services.reports import report_create, report_delete, report_update

from .serializers import CategorySerializer, InterventionSerializer, ReportSerializer

REPORT_FILTERS = FilterSpec(
    category_model=Category,
    zone_model=Zone,
    statuses=tuple(ReportStatus.values),
    date_fields=("reported_at",),
    bbox_field="geom_3857",
)
INTERVENTION_FILTERS = FilterSpec(
    category_model=Category,
    zone_model=Zone,
    statuses=tuple(InterventionStatus.values),
    date_fields=("planned_date", "ended_at"),
    date_field_param=True,
    bbox_field="geom_3857",
)


@extend_schema_view(list=extend_schema(parameters=filter_parameters(REPORT_FILTERS)))
class ReportViewSet(HistoryMixin, CommunityViewSet):
    """Signalements. Agents create; dispatchers and admins also update and delete."""

    model = Report
    serializer_class = ReportSerializer
    filter_spec = REPORT_FILTERS

    def base_queryset(self) -> QuerySet[Report]:
        return selectors.reports_for_community(community=self.community)

    def perform_service_create(self, data: dict[str, Any]) -> Report:
        if self.membership.role == Role.AGENT:
            data.setdefault("source", ReportSource.AGENT)
        reporter = self.request.user if isinstance(self.request.user, User) else None
        return report_create(community=self.community, reporter=reporter, **data)

    def perform_service_update(self, instance: Report, data: dict[str, Any]) -> Report:
        return report_update(report=instance, data=data)

    def perform_service_destroy(self, instance: Report) -> None:
        report_delete(report=instance)


@extend_schema_view(list=extend_schema(parameters=filter_parameters(INTERVENTION_FILTERS)))
class InterventionViewSet(HistoryMixin, CommunityViewSet):
    """Work at one place. Dispatchers and admins plan; agents record the outcome and tag fields."""

    model = Intervention
    serializer_class = InterventionSerializer
    filter_spec = INTERVENTION_FILTERS

    def base_queryset(self) -> QuerySet[Intervention]:
        return selectors.interventions_for_community(community=self.community)

    def check_object_permissions(self, request: Any, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if request.method not in SAFE_METHODS and self.membership.role == Role.AGENT:
            # The field app's rule, before the body is even read: only work of the agent's
            # teams' missions (403 otherwise), whatever the method.
            selectors.intervention_check_writable(user=request.user, intervention=obj)

    def perform_service_create(self, data: dict[str, Any]) -> Intervention:
        return intervention_create(community=self.community, **data)

    def perform_service_update(self, instance: Intervention, data: dict[str, Any]) -> Intervention:
        if self.membership.role == Role.AGENT:
            refused = sorted(set(data) - AGENT_FIELDS)
            if refused:
                raise PermissionDenied(
                    f"Field agents may only change {', '.join(sorted(AGENT_FIELDS))}; "
                    f"not {', '.join('geometry' if f == 'geom' else f for f in refused)}."
                )
        return intervention_update(intervention=instance, data=data)

    def perform_service_destroy(self, instance: Intervention) -> None:
        # Soft delete: an admin can restore it (interventions/services/deletion.py).
        user = self.request.user if isinstance(self.request.user, User) else None
        intervention_delete(intervention=instance, user=user)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Work categories of the community (tag, fly-tipping…); managed in the admin."""

    serializer_class = CategorySerializer
    pagination_class = JsonPagination
    permission_classes = [IsAuthenticated, CommunityRole]

    def get_queryset(self) -> QuerySet[Category]:
        if getattr(self, "swagger_fake_view", False):
            return Category.objects.none()
        return selectors.categories_for_community(community=request_membership(self.request).community)
