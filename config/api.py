"""API plumbing shared by every app: pagination and the error format."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_gis.pagination import GeoJsonPagination


class GeoPagination(GeoJsonPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 5000


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's handler, plus Django ValidationErrors raised by services turned into 400s."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)
