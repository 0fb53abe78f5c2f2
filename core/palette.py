"""The one palette of every map: colour, shape and name of each kind of mark, and contrast maths.

Why (RGAA 3.2/3.3, WCAG 1.4.1 and 1.4.11): a mark is told apart by its shape as well as its
colour (a report is a triangle, a done intervention a square, whatever the screen or the eye),
and every colour reaches 3:1 against the base map's own colours (BASE_COLOURS, read from
tiles/styles.py's base map: land, outside, parks, roads) and against white. The shapes are
SVG paths in a 20 x 20 box, drawn the same way by the legends (mark_svg, server side), the
MapLibre maps (static/js/marks.js turns them into icons) and the mission sheet's SVG map.
Nothing else in the code base names a mark colour: the JavaScript gets MARKS as JSON
(templates "includes/map_marks.html"), the CSS as custom properties of the marks it draws.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

# The base map's colours (tiles/styles.py draws with these): white roads, the territory's
# land, the outside, parks, districts, main and secondary roads, the agent app's plain background.
LAND = "#f7f5f0"
OUTSIDE = "#e9e6df"
PARK = "#cfe8c4"
DISTRICTS = "#ece8f3"  # the base map's districts, a faint tint
BASE_COLOURS = ("#ffffff", LAND, OUTSIDE, PARK, DISTRICTS, "#fcd6a4", "#f7fabf", "#f4f1ea")
# Outlines and text on marks: black and white together read on any colour (two-tone).
INK = "#111111"
HALO = "#ffffff"

# Shapes: SVG paths in a 20 x 20 box (centre 10,10). The ring and the cross are drawn with
# a thick stroke of the mark's colour, the others filled.
SHAPES = {
    "circle": "M10 2.5a7.5 7.5 0 1 0 0.01 0Z",
    "ring": "M10 3.5a6.5 6.5 0 1 0 0.01 0Z",
    "square": "M3 3H17V17H3Z",
    "diamond": "M10 1.5L18.5 10L10 18.5L1.5 10Z",
    "triangle": "M10 1.5L19 17.5H1Z",
    "triangle_down": "M1 2.5H19L10 18.5Z",
    "octagon": "M6.5 1.5H13.5L18.5 6.5V13.5L13.5 18.5H6.5L1.5 13.5V6.5Z",
    "pentagon": "M10 1.5L18.5 8V18.5H1.5V8Z",
    "cross": "M4 4L16 16M16 4L4 16",
}
STROKED = {"ring": 4.0, "cross": 4.5}


@dataclass(frozen=True)
class Mark:
    """One kind of point drawn on a map (or, for lines and areas, shape is the line style)."""

    colour: str
    shape: str
    label: str | Promise
    # Lines and areas: solid, dashed, dotted or hatched; points: "" (their shape says it).
    line: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"colour": self.colour, "shape": self.shape, "label": str(self.label), "line": self.line}


MARKS: dict[str, Mark] = {
    # Interventions by status, reports and assets (/map/, /dispatch/).
    "todo": Mark("#c62828", "circle", _("Intervention to do")),
    "scheduled": Mark("#ad1457", "ring", _("Intervention scheduled")),
    "in_progress": Mark("#8a5a00", "diamond", _("Intervention in progress")),
    "done": Mark("#2e7d32", "square", _("Intervention done")),
    "not_done": Mark("#455a64", "octagon", _("Intervention not done")),
    "report": Mark("#bf360c", "triangle", _("Report")),
    "asset": Mark("#0d47a1", "triangle_down", _("Asset")),
    # A mission's numbered stops (/dispatch/, the mission sheet, the agent's map).
    "stop_planned": Mark("#1f2a44", "circle", _("Stop to do (its number in the round)")),
    "stop_in_progress": Mark("#8a5a00", "diamond", _("Stop in progress")),
    "stop_done": Mark("#2e7d32", "square", _("Stop done")),
    "stop_not_done": Mark("#455a64", "octagon", _("Stop not done")),
    "stop_unassigned": Mark("#ffffff", "circle", _("Stop left out of the round (dashed outline)"), "dashed"),
    "depot": Mark(INK, "pentagon", _("Start and end of the round")),
    "me": Mark(INK, "ring", _("Your position")),
    # Lines and areas.
    "zone": Mark("#6a3d9a", "line", _("District"), "solid"),
    "mission_zone": Mark("#1f78b4", "line", _("Mission zone"), "dashed"),
    "round": Mark("#c62828", "line", _("Round of the selected mission"), "solid"),
    "other_rounds": Mark("#1f78b4", "line", _("Rounds of the other missions"), "dotted"),
    "walk": Mark("#0b4f9c", "line", _("Walking route to the stop"), "solid"),
    "highlight": Mark(INK, "ring", _("Job picked with “Show on the map”")),
    "drawing": Mark("#8a5a00", "line", _("Zone being drawn"), "dashed"),
    "hotspot": Mark("#7a0177", "circle", _("Recurrent site (larger: more returns)")),
    "territory": Mark("#374151", "line", _("Territory"), "solid"),
    "streets": Mark("#5a5a5a", "line", _("Streets"), "solid"),
}

# Which status (or stop state) draws as which mark.
STATUS_MARK = {s: s for s in ("todo", "scheduled", "in_progress", "done", "not_done")}
STOP_MARK = {s: f"stop_{s}" for s in ("planned", "in_progress", "done", "not_done", "unassigned")}

# Districts shaded by class (dashboards): a tint for the eye plus a hatching of INK lines
# (which carries the class at 3:1 and more), denser as the class rises. (spacing px, angles).
DISTRICT_TINTS = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6"]
# Hatching per class: (spacing in px, lines): none, sparse, dense, crossed, dense crossed.
DISTRICT_HATCH: list[tuple[int, str]] = [(8, ""), (10, "/"), (5, "/"), (7, "x"), (4, "x")]
# The heatmap's ramp, low to high: every step at 3:1 or more on the dashboard's land (after
# its alpha) and told apart by hue as well as lightness (orange, red, crimson, purple, ink).
HEAT_RAMP = ["#b34d00", "#c0262d", "#9c0b3f", "#6a0f6e", "#2d0a4e"]
HEAT_ALPHA = (0.85, 0.95)  # opacity at the low and the high end


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luminance(colour: str) -> float:
    r, g, b = (_channel(v) for v in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def over(colour: str, alpha: float, background: str) -> str:
    """The colour seen when `colour` at opacity `alpha` is painted on `background`."""
    mixed = (round(alpha * c + (1 - alpha) * g) for c, g in zip(rgb(colour), rgb(background), strict=True))
    return "#" + "".join(f"{v:02x}" for v in mixed)


def marks_json() -> dict[str, Any]:
    """What the map scripts need: every mark, the shapes, and the district hatchings."""
    return {
        "marks": {kind: mark.as_json() | {"text": text_colour(kind)} for kind, mark in MARKS.items()},
        "shapes": SHAPES,
        "stroked": STROKED,
        "ink": INK,
        "halo": HALO,
        "status": STATUS_MARK,
        "stop": STOP_MARK,
    }


def mark_svg(kind: str, size: int = 20, text: str = "") -> SafeString:
    """A legend's (or the sheet's) picture of a mark: the same shape and colours as the map."""
    mark = MARKS[kind]
    width = size * 2 if mark.shape == "line" else size  # a line's picture is a stretch of it
    head = format_html(
        '<svg class="mark-svg" data-mark="{}" width="{}" height="{}" viewBox="0 0 {} 20" aria-hidden="true" '
        'focusable="false">',
        kind,
        width,
        size,
        width * 20 // size,
    )
    if mark.shape == "line":
        return head + line_svg(mark, "M2 10H38") + SafeString("</svg>")
    return head + shape_svg(kind) + (_text_svg(kind, text) if text else SafeString("")) + SafeString("</svg>")


def line_svg(mark: Mark, d: str, width: float = 4) -> SafeString:
    """A line mark (zone outline, round): a white casing under the coloured line."""
    dash = {"dashed": ' stroke-dasharray="8 4"', "dotted": ' stroke-dasharray="2 3"'}.get(mark.line, "")
    return format_html(
        '<path d="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linecap="butt"/>'
        '<path d="{}" fill="none" stroke="{}" stroke-width="{}"' + dash + " />",
        d,
        HALO,
        width + 2,
        d,
        mark.colour,
        width,
    )


def shape_svg(kind: str, transform: str = "") -> SafeString:
    """The shape of a point mark: white halo, then the colour, outlined in INK."""
    mark = MARKS[kind]
    path = SHAPES[mark.shape]
    extra = format_html(' transform="{}"', transform) if transform else ""
    if mark.shape in STROKED:
        width = STROKED[mark.shape]
        return format_html(
            '<g{}><path d="{}" fill="none" stroke="{}" stroke-width="{}"/><path d="{}" fill="none" stroke="{}" '
            'stroke-width="{}"/></g>',
            extra,
            path,
            HALO,
            width + 2.5,
            path,
            mark.colour,
            width,
        )
    dash = ' stroke-dasharray="3 2"' if mark.line == "dashed" else ""
    return format_html(
        '<g{}><path d="{}" fill="{}" stroke="{}" stroke-width="3.5"/><path d="{}" fill="{}" stroke="{}" '
        'stroke-width="1.5"' + dash + "/></g>",
        extra,
        path,
        HALO,
        HALO,
        path,
        mark.colour,
        INK,
    )


def text_colour(kind: str) -> str:
    """The number written on a mark: white on dark marks, INK on light ones."""
    return HALO if contrast(MARKS[kind].colour, HALO) >= contrast(MARKS[kind].colour, INK) else INK


def _text_svg(kind: str, text: str) -> SafeString:
    return format_html(
        '<text x="10" y="14" text-anchor="middle" font-size="10" font-weight="bold" '
        'font-family="DejaVu Sans, sans-serif" fill="{}">{}</text>',
        text_colour(kind),
        text,
    )


def district_patterns_svg() -> SafeString:
    """SVG <pattern>s "district-class-N" of the district classes (a tint and INK hatching),
    for the map's areas (Leaflet fill="url(#...)") and the legend's swatches alike."""
    patterns = []
    for n, (tint, (size, lines)) in enumerate(zip(DISTRICT_TINTS, DISTRICT_HATCH, strict=True)):
        ink = f'<path d="M0 0V{size}" stroke="{INK}" stroke-width="1.2"/>' if lines else ""
        if lines == "x":
            ink += f'<path d="M0 0H{size}" stroke="{INK}" stroke-width="1.2"/>'
        # The pattern turned 45°: vertical lines become diagonal hatching, tiling seamlessly.
        patterns.append(
            f'<pattern id="district-class-{n}" width="{size}" height="{size}" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="{size}" height="{size}" fill="{tint}" '
            f'fill-opacity="0.45"/>{ink}</pattern>'
        )
    return SafeString(
        '<svg width="0" height="0" class="pattern-defs" aria-hidden="true" focusable="false"><defs>'
        + "".join(patterns)
        + "</defs></svg>"
    )
