"""GET …/{id}/history/ on the reports, interventions and missions endpoints."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import JsonPagination

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

    @extend_schema(responses=AuditEventSerializer(many=True), request=None)
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        events = history_for_object(obj=obj)
        paginator = JsonPagination()
        page = paginator.paginate_queryset(events, request, view=self)  # type: ignore[arg-type]
        data: Any = AuditEventSerializer(page, many=True).data
        return paginator.get_paginated_response(data)
