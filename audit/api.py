"""GET …/{id}/history/ on the reports, interventions and missions endpoints."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.pagination import JsonPagination

from .models import AuditEvent
from .selectors import history_for_object


class AuditEventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="username")

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "action", "user", "source", "user_agent", "client_uuid", "changes"]


class HistoryMixin:
    """Adds a read-only `history` action; the object comes from the viewset's own `get_object`
    (scoped to the caller's community and role), so the history is as visible as the object."""

    # pagination_class on the action: the schema then documents the plain JSON page
    # ({"count", "next", "previous", "results"}) this answers, not the viewset's GeoJSON one.
    @extend_schema(responses=AuditEventSerializer(many=True), request=None)
    @action(detail=True, methods=["get"], pagination_class=JsonPagination)
    def history(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        events = history_for_object(obj=obj)
        page = self.paginate_queryset(events)  # type: ignore[attr-defined]
        data: Any = AuditEventSerializer(page, many=True).data
        return self.get_paginated_response(data)  # type: ignore[attr-defined]
