"""Base classes of the community-scoped GeoJSON endpoints.

Lists take the fast path of core/api/feature_rows.py (rows, not a serializer per feature);
tests/api/test_fast_list.py checks it gives the serializer's JSON.
"""

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework import relations, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from accounts.models import Community, Membership, User
from accounts.permissions import CommunityRole, request_membership

from . import schema as _schema  # noqa: F401  (registers the OpenAPI extension)
from .feature_rows import FeatureRows, orjson_response
from .filters import FilterSpec, apply_filters


def scope_related_fields(fields: Mapping[str, Any], community: Community | None) -> None:
    """Limit every writable relation to the caller's community; name the miss clearly."""
    for field in fields.values():
        target = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
        if not isinstance(target, relations.PrimaryKeyRelatedField) or target.queryset is None:
            continue
        model = target.queryset.model
        if community is None:
            target.queryset = model._default_manager.none()
        elif model is User:
            target.queryset = User.objects.filter(memberships__community=community)
        else:
            target.queryset = model._default_manager.filter(community=community)
        # Technical English name in the message key ("unknown category"), translated text around it.
        label = model._meta.verbose_name_raw
        target.error_messages["does_not_exist"] = _(
            "unknown {label}: no {label} with id {{pk_value}} in your community."
        ).format(label=label)


class CommunityFeatureSerializer(GeoFeatureModelSerializer):
    """A GeoJSON Feature of a community-owned model; `geom` appears as the Feature's geometry.

    Input may be a Feature ({"type", "geometry", "properties"}) or a flat object with
    `geometry` (or `geom`). Geometry errors are reported under `geometry`.
    """

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        scope_related_fields(fields, self.context.get("community"))
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            # rest_framework_gis looks for keys in it: a JSON array or `false` would be a 500.
            raise ValidationError({"non_field_errors": [_("Expected a GeoJSON Feature (a JSON object).")]})
        if isinstance(data, Mapping):
            data = dict(data)
            if "properties" in data and not isinstance(data["properties"], Mapping):
                raise ValidationError({"properties": [_("Expected an object of feature properties.")]})
            if "properties" not in data and "geometry" in data:
                data["geom"] = data.pop("geometry")
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict) and "geom" in detail:
                detail["geometry"] = detail.pop("geom")
            raise ValidationError(detail) from exc
        # Field work happens now, not in year 289: such a date would also come back with a
        # local-mean-time offset (+00:09:21) that is not valid ISO 8601 (found by schemathesis).
        late = {
            name: [_("Expected a date between 1900 and 2100.")]
            for name, item in value.items()
            if isinstance(item, datetime.date) and not 1900 <= item.year <= 2100
        }
        if late:
            raise ValidationError(late)
        return value


class CommunityViewSet(viewsets.ModelViewSet):
    """CRUD scoped to the caller's community; writes go through the services named below.

    Subclasses set `model`, `filter_spec`, roles (see accounts.permissions) and implement
    `base_queryset` (a selector), `perform_service_create/update/destroy` (services).
    """

    permission_classes = [IsAuthenticated, CommunityRole]
    model: ClassVar[type[Model]]
    filter_spec: ClassVar[FilterSpec | None] = None
    fast_list: ClassVar[bool] = True

    @property
    def membership(self) -> Membership:
        return request_membership(self.request)

    @property
    def community(self) -> Community:
        return self.membership.community

    def base_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return self.model._default_manager.none()
        return self.base_queryset()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action == "list" and self.filter_spec is not None:
            queryset = apply_filters(
                queryset, params=self.request.query_params, spec=self.filter_spec, community=self.community
            )
        return queryset

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.request.user.is_authenticated:
            context["community"] = self.community
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response | HttpResponse:  # type: ignore[override]
        if not self.fast_list:
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        encoded = type(getattr(request, "accepted_renderer", None)) is JSONRenderer
        first = None
        paginator = self.paginator
        if paginator is not None and (request.query_params.get(paginator.page_query_param) or "1") == "1":  # type: ignore[attr-defined]
            first = paginator.get_page_size(request)  # type: ignore[attr-defined]
        rows = FeatureRows(queryset, self.get_serializer(), encoded=encoded, first_page_size=first)
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        response = self.get_paginated_response({"features": page})
        if not encoded:
            return response
        out = orjson_response(response)
        # The view and its request refer to each other, so what the view keeps (the page of
        # ~1,000 feature dicts on its paginator) would only be freed by Python's cyclic GC, and
        # a full collection then walks all of it: measured 120 ms pauses, the p95 of the bbox
        # benchmark. Dropping the page lets reference counting free it when the request ends.
        if paginator is not None:
            paginator.page = None  # type: ignore[attr-defined]
        return out

    # Writes: the service returns the saved object; it is read back through the selector
    # so the response has exactly the shape of a GET.
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.replayed = False
        response = super().create(request, *args, **kwargs)
        if self.replayed:  # an offline client sent the same client_uuid again: nothing new
            response.status_code = status.HTTP_200_OK
        return response

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        key = serializer.validated_data.get("client_uuid")
        self.replayed = (
            key is not None
            and self.model._default_manager.filter(community=self.community, client_uuid=key).exists()
        )
        obj = self.perform_service_create(dict(serializer.validated_data))
        serializer.instance = self.base_queryset().get(pk=obj.pk)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        obj = self.perform_service_update(serializer.instance, dict(serializer.validated_data))
        serializer.instance = self.base_queryset().get(pk=obj.pk)

    def perform_destroy(self, instance: Any) -> None:
        self.perform_service_destroy(instance)

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_service_update(self, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_service_destroy(self, instance: Any) -> None:
        raise NotImplementedError
