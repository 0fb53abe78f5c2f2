"""JSON and XML bodies in the shapes GeoReport v2 specifies (lists of objects, <root><item>…)."""

import json
from typing import Any
from xml.etree import ElementTree as ET  # noqa: S405 - we only build XML, never parse it here

from django.http import HttpResponse

from core.xmltext import xml_text

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# A list under key K is written as <K><ITEM>…</ITEM>…</K> (the spec's element names).
LIST_ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311Error(Exception):
    """A request the spec answers with an error list; `code` is also the HTTP status."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_text(str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list):
        item_tag = LIST_ITEM_TAGS.get(tag, "item")
        for child in value:
            _append(element, item_tag, child)
    else:
        element.text = _text(value)


def to_xml(value: dict[str, Any] | list[dict[str, Any]], root: str, item: str | None = None) -> bytes:
    """`[{...}, …]` -> <root><item>…</item>…</root>; `{...}` -> <root>…</root>."""
    element = ET.Element(root)
    if isinstance(value, list):
        for entry in value:
            _append(element, item or "item", entry)
    else:
        for key, child in value.items():
            _append(element, key, child)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(
    fmt: str,
    value: dict[str, Any] | list[dict[str, Any]],
    *,
    root: str,
    item: str | None = None,
    status: int = 200,
) -> HttpResponse:
    if fmt == "xml":
        body = to_xml(value, root, item)
    else:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_error(fmt: str, error: Open311Error) -> HttpResponse:
    errors = [{"code": error.code, "description": error.description}]
    return render(fmt, errors, root="errors", item="error", status=error.code)
