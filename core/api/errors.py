"""The API's error format: DRF's, Django's and the database's errors as 400s naming the field."""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import CheckConstraint, Q, UniqueConstraint
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _q_fields(q: Q) -> list[str]:
    names: list[str] = []
    for child in q.children:
        if isinstance(child, Q):
            names += _q_fields(child)
        else:
            names.append(str(child[0]).split("__")[0])  # type: ignore[index]
    return names


def _constraint_fields() -> dict[str, str]:
    """Database constraint name -> the field a client should fix (from every model's Meta)."""
    fields: dict[str, str] = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.fields:
                fields[constraint.name] = constraint.fields[-1]
            elif isinstance(constraint, CheckConstraint) and isinstance(constraint.condition, Q):
                names = _q_fields(constraint.condition)
                if names:
                    fields[constraint.name] = names[0]
    return fields


def integrity_error_detail(exc: IntegrityError) -> dict[str, list[str]]:
    """A 400 body for a constraint the database enforced (the last line of defence)."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    field = _constraint_fields().get(name, "non_field_errors")
    reason = f"violates the rule '{name}'." if name else "conflicts with existing data."
    return {field: [f"This value {reason}"]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's handler, plus services' ValidationErrors and database IntegrityErrors as 400s."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, IntegrityError):
        # Never a 500 for bad input that slipped past validation into a constraint.
        exc = exceptions.ValidationError(detail=integrity_error_detail(exc))
    elif isinstance(exc, TooManyFieldsSent):
        # Raised while DRF parses a form body: Django would answer its HTML 400 page.
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        exc = exceptions.ParseError(detail=f"Too many form fields (at most {limit}); send a JSON body.")
    elif isinstance(exc, RecursionError):
        # json's decoder gives up on a body nested ~1,000 levels deep (a probe sent 2,000).
        exc = exceptions.ParseError(detail="JSON body: nested too deeply.")
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ParseError(detail=f"The request body is larger than {limit} bytes.")
    return drf_exception_handler(exc, context)
