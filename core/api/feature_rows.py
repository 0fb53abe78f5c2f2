"""The fast list path of the GeoJSON endpoints (core/api/base.py's CommunityViewSet.list).

A DRF serializer costs ~1 ms per feature of 20 fields; a 1,000-feature page must be
served in well under 50 ms. `list` therefore reads rows (geometry already rendered as
GeoJSON by PostGIS) and builds the same Feature dicts the serializer would, reusing the
serializer's own fields for the few values that need formatting (dates, decimals, UUIDs).
tests/api/test_fast_list.py checks both give identical JSON.

Where a 1,000-feature page's time went, and what is done about it (benchmarks/api.py):
- building the serializer's fields (~3 ms a request): the column plan is built once per
  serializer class (_Plan) when every value's formatting is independent of the request;
- Django's timestamptz loader is pure Python (~20 ms a page of 4 timestamps): the page's
  cursor uses psycopg's own loader (C), the values are moved to the page's time zone;
- Django's row iterator calls every column's converter (~1.5 ms): only the model's own
  columns that need one keep it (_raw_rows);
- many-to-many ids: read from an array column PostgreSQL keeps on the row when the model has
  one (an intervention's agents: ~7 ms a page less than an index lookup per row), else a
  subquery in the page's own query, not a second round trip carrying the page's ids
  (_many_ids_json);
- the JSON encoder (~9 ms): orjson, with geometries as the text PostGIS wrote (orjson_response).
"""

import copy
import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections
from django.db.models import DecimalField, Func, OuterRef, QuerySet, TextField
from django.db.models.expressions import Col, Expression
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.utils import timezone
from psycopg.types.datetime import TimestamptzLoader
from rest_framework import ISO_8601, relations
from rest_framework import fields as drf_fields
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from .fields import GEOJSON_ANNOTATION

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
# Field classes whose to_representation reads only the field's own options, never the request
# (a SerializerMethodField or a hyperlink does): their formatting can be planned once.
CONTEXT_FREE_FIELDS = (drf_fields.DateField, drf_fields.DecimalField, drf_fields.UUIDField)

_MANY = object()  # marks a many-to-many property in a plan's columns


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


@dataclass(frozen=True)
class _Plan:
    """What a serializer class shows of each row, in its order."""

    id_field: str
    geo_field: str
    # (name, lookup, converter) for a column; (name, "", _MANY) for a many-to-many's ids.
    columns: tuple[tuple[str, str, Any], ...]
    many_fields: dict[str, Any]  # name -> the model's many-to-many field


# Serializer class -> its plan. A serializer whose fields depend on the request (a field
# removed for some roles, a sparse-fieldset parameter) would need the request in the key.
_PLANS: dict[type, _Plan] = {}


def _plan(serializer: GeoFeatureModelSerializer, model: Any) -> _Plan:
    cached = _PLANS.get(type(serializer))
    if cached is not None:
        return cached
    meta = serializer.Meta
    columns: list[tuple[str, str, Any]] = []
    many_fields: dict[str, Any] = {}
    reusable = True
    for name, field in serializer.fields.items():
        if field.write_only or name in (meta.id_field, meta.geo_field):
            continue
        if isinstance(field, relations.ManyRelatedField):
            many_fields[name] = model._meta.get_field(field.source)
            columns.append((name, "", _MANY))
            continue
        convert = _converter(field)
        if convert is not None and convert is not _iso_datetime:
            if isinstance(field, CONTEXT_FREE_FIELDS):
                # A copy not bound to this request's serializer: the plan outlives it.
                convert = copy.deepcopy(field).to_representation
            else:
                reusable = False
        columns.append((name, field.source.replace(".", "__"), convert))
    plan = _Plan(meta.id_field, meta.geo_field, tuple(columns), many_fields)
    if reusable:
        _PLANS[type(serializer)] = plan
    return plan


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
        self.plan = _plan(serializer, queryset.model)

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
        # Timestamps come from psycopg's C loader in UTC; the time zone is looked up once for
        # the page, not once per value.
        tz = timezone.get_current_timezone()

        def from_datetime(value: datetime.datetime) -> str:
            return _iso_in(value, tz)

        # Also a marker: the page's column loop below writes its body inline (one call fewer
        # per value, ~0.5 ms a page of 4,000 timestamps).
        def encoded_from_datetime(value: datetime.datetime) -> datetime.datetime:
            return value.astimezone(tz)

        keys = ["pk", GEOJSON_ANNOTATION]
        annotations: dict[str, Any] = {}
        converters: list[Callable[[Any], Any] | None] = []
        for name, key, convert in self.plan.columns:
            if convert is _MANY:  # the ids, sorted, as JSON text from the same query
                alias = f"_many_{name}"
                annotations[alias] = _many_ids_json(self.queryset.model, name, self.plan.many_fields[name])
                keys.append(alias)
                converters.append(orjson.Fragment if self.encoded else json.loads)
            elif convert is _iso_datetime:
                keys.append(key)
                converters.append(encoded_from_datetime if self.encoded else from_datetime)
            elif self.encoded and _is_plain_iso_date(getattr(convert, "__self__", None)):
                keys.append(key)  # orjson writes a date as DRF's ISO 8601 does
                converters.append(None)
            elif convert is not None and self._is_decimal_text(key, convert):
                # numeric(p, s) prints with exactly s decimals, as DRF's quantized string:
                # the text from PostgreSQL is the representation (~8 ms a page saved).
                alias = f"_text_{name}"
                annotations[alias] = Cast(key, output_field=TextField())
                keys.append(alias)
                converters.append(None)
            else:
                keys.append(key)
                converters.append(convert)
        queryset = self.queryset.prefetch_related(None)
        if annotations:
            queryset = queryset.annotate(**annotations)
        rows = _raw_rows(queryset.values_list(*keys)[index])
        if not rows:
            return []
        # Column by column: each converting column is one comprehension over the page, not
        # a Python loop over every value of every row (measured ~0.5 ms less a page of 1,000).
        columns: list[Any] = list(zip(*rows, strict=True))
        for i, convert in enumerate(converters, start=2):
            if convert is encoded_from_datetime:  # inlined: the same as calling it
                columns[i] = [None if value is None else value.astimezone(tz) for value in columns[i]]
            elif convert is not None:
                columns[i] = [None if value is None else convert(value) for value in columns[i]]
        names = [name for name, _key, _convert in self.plan.columns]
        properties = [dict(zip(names, values, strict=True)) for values in zip(*columns[2:], strict=True)]
        fragment = orjson.Fragment if self.encoded else json.loads
        geometries = [None if geojson is None else fragment(geojson) for geojson in columns[1]]
        if self.plan.id_field:
            return [
                {"id": pk, "type": "Feature", "geometry": geometry, "properties": props}
                for pk, geometry, props in zip(columns[0], geometries, properties, strict=True)
            ]
        return [
            {"type": "Feature", "geometry": geometry, "properties": props}
            for geometry, props in zip(geometries, properties, strict=True)
        ]

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


class _ArrayColumnJson(Expression):
    """A model's array column that Django does not know, as JSON text."""

    output_field = TextField()

    def __init__(self, table: str, column: str):
        super().__init__()
        self.table, self.column = table, column

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        table, column = compiler.quote_name_unless_alias(self.table), connection.ops.quote_name(self.column)
        return f"array_to_json({table}.{column})::text", []


def _many_ids_json(model: Any, name: str, field: Any) -> Expression:
    """A many-to-many field's ids of each row, sorted, as JSON text ('[3, 7]'; '[]' for none).

    Where the model keeps them on the row (`many_ids_columns`, an array column PostgreSQL
    maintains from the join table), read from there: measured ~7 ms a 1,000-row page less than
    one index lookup per row. Otherwise a subquery in the page's own query: each row's ids
    come from the join table's unique (row, other) index, with no second round trip carrying
    the page's ids (measured: ~6 ms a page with the ids sent back as an array parameter and
    grouped in Python).
    """
    column = getattr(model, "many_ids_columns", {}).get(name)
    if column is not None:
        return _ArrayColumnJson(model._meta.db_table, column)
    through = field.remote_field.through
    src, dst = field.m2m_field_name(), field.m2m_reverse_field_name()
    ids = through._default_manager.filter(**{src: OuterRef("pk")}).order_by(f"{dst}_id").values(f"{dst}_id")
    return Cast(Func(ArraySubquery(ids), function="array_to_json"), output_field=TextField())


def _raw_rows(queryset: QuerySet[Any]) -> list[Any]:
    """The rows of a values_list queryset, converted only where a model field needs it.

    Django's row iterator calls every column's converter on each row, the annotations' too
    (`int()` on an integer annotation, whose values are ints already), and loads timestamps
    with its pure-Python loader. Here timestamps come from psycopg's C loader (aware, in the
    connection's UTC) and only the model's own columns keep their converter (a JSONField's
    text is decoded). The SQL is Django's own, run on the queryset's database.
    """
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return []
    db = connections[queryset.db]
    with db.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        rows: list[Any] = cursor.fetchall()
    converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
    kept = [
        (i, fns, expression) for i, (fns, expression) in converters.items() if isinstance(expression, Col)
    ]
    if not kept:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, fns, expression in kept:
            for convert in fns:
                values[i] = convert(values[i], expression, db)
        out.append(values)
    return out


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
