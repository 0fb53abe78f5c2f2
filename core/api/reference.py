"""/api/reference/: the REST API's operations as a plain HTML page, from the OpenAPI schema.

Swagger UI (/api/docs/) is a third-party tool with contrast, nested-control and language
defects (RGAA); this page gives the same reference to a screen reader or a keyboard: one
heading per group, one per operation, its parameters in a table. The schema is generated
once per process (several seconds); it only changes with the code.
"""

import functools
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    description: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    body: str = ""  # the request body's media types


@functools.cache
def api_operations() -> tuple[dict[str, Any], dict[str, list[Operation]]]:
    """(the schema's info, operations by tag), in the schema's order."""
    # The descriptions come from docstrings and DRF's messages: generated in English, as the
    # template marks them (lang="en"), whatever the language of the first reader.
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    groups: dict[str, list[Operation]] = {}
    for path, item in schema.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            tag = (spec.get("tags") or ["api"])[0]
            groups.setdefault(tag, []).append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=spec.get("operationId", ""),
                    description=(spec.get("summary") or spec.get("description") or "").strip(),
                    parameters=[
                        {
                            "name": p.get("name", ""),
                            "in": p.get("in", ""),
                            "required": bool(p.get("required")),
                            "description": p.get("description", ""),
                        }
                        for p in [*shared, *spec.get("parameters", [])]
                    ],
                    body=", ".join(spec.get("requestBody", {}).get("content", {})),
                )
            )
    return schema.get("info", {}), groups


def api_reference(request: HttpRequest) -> HttpResponse:
    info, groups = api_operations()
    return render(request, "core/api_reference.html", {"info": info, "groups": sorted(groups.items())})
