"""Base classes of the community-scoped GeoJSON endpoints, with the fast list path.

A DRF serializer costs ~1 ms per feature of 20 fields; a 1,000-feature page must be
served in well under 50 ms. `list` therefore reads `.values()` rows (geometry already
rendered as GeoJSON by PostGIS) and builds the same Feature dicts the serializer would,
reusing the serializer's own fields for the few values that need formatting (dates,
decimals, UUIDs). tests/api/test_fast_list.py checks both give identical JSON.
"""

import datetime
import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import orjson
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import DateTimeField, DecimalField, IntegerField, Model, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import ISO_8601, relations, serializers, status, viewsets
from rest_framework import fields as drf_fields
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from accounts.models import Community, Membership, User
from accounts.permissions import CommunityRole, request_membership

from . import schema as _schema  # noqa: F401  (registers the OpenAPI extension)
from .fields import GEOJSON_ANNOTATION
from .filters import FilterSpec, apply_filters

# Field classes whose representation of a raw database value is the value itself.
IDENTITY_FIELDS = (
    drf_fields.CharField,
    drf_fields.ChoiceField,
    drf_fields.BooleanField,
    drf_fields.IntegerField,
    drf_fields.FloatField,
    drf_fields.JSONField,
    relations.PrimaryKeyRelatedField,
)


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


_MANY = object()  # marks a many-to-many property in FeatureRows._columns


def _converter(field: drf_fields.Field) -> Callable[[Any], Any] | None:
    """None when the raw value is already its representation, else the field's own formatter."""
    if isinstance(field, IDENTITY_FIELDS):
        return None
    if _is_plain_iso_datetime(field):
        return _iso_datetime
    return field.to_representation


def _is_plain_iso_datetime(field: drf_fields.Field) -> bool:
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        isinstance(field, drf_fields.DateTimeField)
        and not hasattr(field, "timezone")
        and isinstance(output_format, str)
        and output_format.lower() == ISO_8601
    )


def _is_plain_iso_date(field: Any) -> bool:
    output_format = getattr(field, "format", api_settings.DATE_FORMAT)
    return (
        type(field) is drf_fields.DateField
        and isinstance(output_format, str)
        and output_format.lower() == ISO_8601
    )


def _iso_datetime(value: datetime.datetime) -> str:
    """Marks DRF's ISO 8601 DateTimeField output; FeatureRows binds the page's time zone.

    DRF asks Django for the current time zone on every value (an asgiref Local read):
    measured at ~30 µs a value, i.e. ~100 ms for a 1,000-feature page of 4 timestamps.
    """
    return _iso_in(value, timezone.get_current_timezone())


def _iso_in(value: datetime.datetime, tz: datetime.tzinfo) -> str:
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class FeatureRows:
    """What the paginator slices in the fast path: counts cheaply, builds Features per page.

    Equivalent to serializing each row with `serializer` (same keys, order and values).
    With `encoded` (the page goes out as plain JSON through `orjson_response`), geometries
    stay the GeoJSON text PostGIS wrote (an orjson.Fragment, never parsed) and timestamps
    stay datetimes in the page's time zone, formatted by orjson in C exactly as DRF would.
    """

    ordered = True  # the selector orders; tells Django's Paginator not to warn

    def __init__(
        self,
        queryset: QuerySet[Any],
        serializer: GeoFeatureModelSerializer,
        *,
        encoded: bool = False,
        first_page_size: int | None = None,
    ):
        self.queryset = queryset
        self.encoded = encoded
        # When the first page is asked for, it is read before the COUNT: if it is not full,
        # its length is the count and the COUNT query is skipped (a typical map bbox).
        self.first_page_size = first_page_size
        self._first_page: list[dict[str, Any]] | None = None
        meta = serializer.Meta
        self.id_field = meta.id_field
        self.geo_field = meta.geo_field
        # The properties in the serializer's order: (name, lookup, converter) for a column, and
        # (name, None, many-to-many field) for ids of another table, read per page.
        self.plain: list[tuple[str, str, Callable[[Any], Any] | None]] = []
        self.many: list[tuple[str, Any]] = []
        self.names: list[str] = []
        for name, field in serializer.fields.items():
            if field.write_only or name in (self.id_field, self.geo_field):
                continue
            self.names.append(name)
            if isinstance(field, relations.ManyRelatedField):
                self.many.append((name, queryset.model._meta.get_field(field.source)))
                continue
            self.plain.append((name, field.source.replace(".", "__"), _converter(field)))

    def count(self) -> int:
        if self.first_page_size:
            self._first_page = self._features(slice(0, self.first_page_size))
            if len(self._first_page) < self.first_page_size:
                return len(self._first_page)
        # Unused annotations (the GeoJSON) are stripped by Django: a plain COUNT(*).
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        # Django's Paginator asks for [0:min(page size, count)] after count().
        first, size = self._first_page, self.first_page_size
        if first is not None and size and not index.start and index.step is None and index.stop <= size:
            return first[: index.stop]
        return self._features(index)

    def _features(self, index: slice) -> list[dict[str, Any]]:
        # Timestamps come as text and are parsed by datetime.fromisoformat (C): Django's
        # psycopg timestamptz loader is pure Python, ~20 ms for a 1,000-feature page.
        # The time zone is looked up once for the page, not once per value.
        tz = timezone.get_current_timezone()

        def from_text(value: str) -> str:
            return _iso_in(datetime.datetime.fromisoformat(value), tz)

        def from_datetime(value: datetime.datetime) -> str:
            return _iso_in(value, tz)

        def encoded_from_text(value: str) -> datetime.datetime:
            return datetime.datetime.fromisoformat(value).astimezone(tz)

        def encoded_from_datetime(value: datetime.datetime) -> datetime.datetime:
            return value.astimezone(tz)

        queryset = self.queryset.prefetch_related(None)
        keys = ["pk", GEOJSON_ANNOTATION]
        plain: list[tuple[str, Callable[[Any], Any] | None]] = []
        for name, key, convert in self._columns():
            if convert is _MANY:  # a NULL column where the ids will go: keeps the order
                alias = f"_many_{name}"
                queryset = queryset.annotate(**{alias: Value(None, output_field=IntegerField())})
                keys.append(alias)
                plain.append((name, None))
                continue
            if convert is _iso_datetime and self._is_datetime_column(key):
                alias = f"_text_{name}"
                queryset = queryset.annotate(**{alias: Cast(key, output_field=TextField())})
                keys.append(alias)
                plain.append((name, encoded_from_text if self.encoded else from_text))
            elif convert is _iso_datetime:
                keys.append(key)
                plain.append((name, encoded_from_datetime if self.encoded else from_datetime))
            elif self.encoded and _is_plain_iso_date(getattr(convert, "__self__", None)):
                keys.append(key)  # orjson writes a date as DRF's ISO 8601 does
                plain.append((name, None))
            elif convert is not None and self._is_decimal_text(key, convert):
                # numeric(p, s) prints with exactly s decimals, as DRF's quantized string:
                # the text from PostgreSQL is the representation (~8 ms a page saved).
                alias = f"_text_{name}"
                queryset = queryset.annotate(**{alias: Cast(key, output_field=TextField())})
                keys.append(alias)
                plain.append((name, None))
            else:
                keys.append(key)
                plain.append((name, convert))
        rows = list(queryset.values_list(*keys)[index])
        many = [(name, self._many(field, [r[0] for r in rows])) for name, field in self.many]
        names = self.names
        # Only the columns that need one are converted; the rest go into the dict as read (the
        # columns come in the serializer's order, so one dict(zip()) per row builds it).
        converters = [(i, convert) for i, (_name, convert) in enumerate(plain) if convert is not None]
        fragment = orjson.Fragment if self.encoded else json.loads
        with_id = bool(self.id_field)
        features = []
        for row in rows:
            values = list(row[2:])
            for i, convert in converters:
                if values[i] is not None:
                    values[i] = convert(values[i])
            properties = dict(zip(names, values, strict=True))
            for name, by_row in many:
                properties[name] = by_row.get(row[0], [])
            geojson = row[1]
            feature: dict[str, Any] = {"id": row[0]} if with_id else {}
            feature["type"] = "Feature"
            feature["geometry"] = None if geojson is None else fragment(geojson)
            feature["properties"] = properties
            features.append(feature)
        return features

    def _columns(self) -> list[tuple[str, str, Any]]:
        """(name, lookup, converter) in the serializer's order; _MANY marks a many-to-many."""
        plain = {name: (name, key, convert) for name, key, convert in self.plain}
        many = {name for name, _field in self.many}
        return [(name, "", _MANY) if name in many else plain[name] for name in self.names]

    def _is_datetime_column(self, key: str) -> bool:
        if "__" in key:
            return False
        try:
            field = self.queryset.model._meta.get_field(key)
        except FieldDoesNotExist:
            return False
        return isinstance(field, DateTimeField)

    def _is_decimal_text(self, key: str, convert: Callable[[Any], Any]) -> bool:
        """A DRF DecimalField shown as a string with the column's own scale."""
        field = getattr(convert, "__self__", None)
        if not isinstance(field, drf_fields.DecimalField) or "__" in key:
            return False
        coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        try:
            column = self.queryset.model._meta.get_field(key)
        except FieldDoesNotExist:
            return False
        return (
            bool(coerce)
            and not field.localize
            and not getattr(field, "normalize_output", False)
            and isinstance(column, DecimalField)
            and column.decimal_places == field.decimal_places
        )

    @staticmethod
    def _many(field: Any, ids: list[int]) -> dict[int, list[int]]:
        """Many-to-many ids per row, sorted, in one query for the whole page (no N+1)."""
        through = field.remote_field.through
        src, dst = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
        result: dict[int, list[int]] = {}
        if not ids:
            return result
        # One array parameter, not 1,000 placeholders: psycopg parses a query's placeholders
        # in Python (measured ~18 ms for `IN (...)` with a 1,000-id page).
        quote = connection.ops.quote_name
        query = (
            f"SELECT {quote(src)}, {quote(dst)} FROM {quote(through._meta.db_table)} "
            f"WHERE {quote(src)} = ANY(%s) ORDER BY 1, 2"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, [ids])
            for a, b in cursor.fetchall():
                result.setdefault(a, []).append(b)
        return result


def orjson_response(response: Response) -> HttpResponse:
    """A DRF Response's data as plain JSON, encoded by orjson (C) instead of json (Python).

    For the fast list path only: its data holds orjson.Fragment geometries and datetimes
    already in the page's time zone (orjson writes them as DRF would: ISO 8601, "Z" for UTC).
    Measured: ~9 ms for a 1,000-feature page with the standard encoder, ~1 ms with orjson.
    """
    body = orjson.dumps(response.data, option=orjson.OPT_UTC_Z)
    out = HttpResponse(body, status=response.status_code, content_type="application/json")
    for header, value in response.items():
        if header.lower() != "content-type":  # an unrendered Response still says text/html
            out[header] = value
    return out


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
