"""Map marks in templates: {% map_marks %} for the map scripts, {% mark_svg kind %} and
{% map_legend kinds %} for legends (core/palette.py is the one palette)."""

from django import template
from django.utils.html import format_html, format_html_join, json_script
from django.utils.safestring import SafeString

from core.palette import MARKS, marks_json
from core.palette import mark_svg as _mark_svg

register = template.Library()


@register.simple_tag
def map_marks() -> SafeString:
    """The palette as JSON (static/js/marks.js reads it) and every mark as an SVG to clone
    (numbered stops on the maps: the same pictures as the legends)."""
    pictures = format_html_join("", "{}", ((_mark_svg(kind, 28),) for kind in MARKS))
    return json_script(marks_json(), "ronde-marks") + format_html(
        '<template id="ronde-mark-svgs">{}</template>', pictures
    )


@register.simple_tag
def mark_svg(kind: str, size: int = 20) -> SafeString:
    return _mark_svg(kind, size)


@register.inclusion_tag("includes/map_legend.html")
def map_legend(kinds: str, heading_id: str = "legend-heading", title: str = "") -> dict[str, object]:
    """A legend list of the given marks (space-separated kinds), each with its picture."""
    return {
        "items": [(kind, _mark_svg(kind), MARKS[kind].label) for kind in kinds.split()],
        "heading_id": heading_id,
        "title": title,
    }
