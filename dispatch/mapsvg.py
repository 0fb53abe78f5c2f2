"""The mission sheet's map: an SVG drawn on the server from the database (no tiles, no
internet), so the same picture prints from the browser and goes into the PDF.

Storage SRID is metric (Lambert-93): a linear scale with y flipped is a faithful map at
a district's size.
"""

from dataclasses import dataclass
from html import escape

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString, Point, Polygon

from core.palette import MARKS, STOP_MARK, line_svg, shape_svg, text_colour
from core.sql import run_sql, sql_path
from core.xmltext import xml_text

WIDTH, HEIGHT = 680, 460  # SVG user units (≈ px at 96 dpi); the sheet scales it to its column
MARGIN_M = 60.0  # metres shown around the zone and the round
MAX_STREETS = 4000
MAJOR_ROADS = {"motorway", "trunk", "primary", "secondary", "tertiary"}


@dataclass(frozen=True)
class MapStop:
    number: str  # what the crew reads on the marker ("1", "2", or "–" when not in the round)
    point: Point
    state: str  # planned, done, not_done, unassigned…


class _Frame:
    def __init__(self, extent: tuple[float, float, float, float]) -> None:
        minx, miny, maxx, maxy = extent
        minx, miny, maxx, maxy = minx - MARGIN_M, miny - MARGIN_M, maxx + MARGIN_M, maxy + MARGIN_M
        self.scale = min(WIDTH / max(maxx - minx, 1.0), HEIGHT / max(maxy - miny, 1.0))
        # Centre the drawing in the frame.
        self.x0 = minx - (WIDTH / self.scale - (maxx - minx)) / 2
        self.y1 = maxy + (HEIGHT / self.scale - (maxy - miny)) / 2
        self.extent = (self.x0, self.y1 - HEIGHT / self.scale, self.x0 + WIDTH / self.scale, self.y1)

    def xy(self, x: float, y: float) -> str:
        return f"{(x - self.x0) * self.scale:.1f},{(self.y1 - y) * self.scale:.1f}"

    def path(self, line: LineString) -> str:
        coords = list(line.coords)
        return "M" + " L".join(self.xy(x, y) for x, y, *_ in coords)


def _streets(community_id: int, extent: tuple[float, float, float, float], scale: float) -> list[tuple]:
    minx, miny, maxx, maxy = extent
    return run_sql(
        sql_path(__file__, "streets_in_box.sql"),
        {
            "community_id": community_id,
            "minx": minx,
            "miny": miny,
            "maxx": maxx,
            "maxy": maxy,
            "srid": settings.RONDE_SRID,
            "tolerance_m": 0.5 / scale,  # half a unit of the drawing
            "limit": MAX_STREETS,
        },
    )


def _lines(geom: GEOSGeometry | None) -> list[LineString]:
    if geom is None:
        return []
    if isinstance(geom, LineString):
        return [geom]
    if isinstance(geom, MultiLineString):
        return [line for line in geom if isinstance(line, LineString)]
    return []


def mission_map_svg(
    *,
    community_id: int,
    zone: Polygon,
    route: MultiLineString | None,
    stops: list[MapStop],
    depot: Point | None,
    title: str,
) -> str:
    """An accessible SVG (role=img, <title>) of the streets, zone, round and numbered stops."""
    bounds = zone.extent
    points = [s.point for s in stops] + ([depot] if depot else [])
    xs = [bounds[0], bounds[2], *(p.x for p in points)]
    ys = [bounds[1], bounds[3], *(p.y for p in points)]
    if route is not None:
        rx0, ry0, rx1, ry1 = route.extent
        xs += [rx0, rx1]
        ys += [ry0, ry1]
    frame = _Frame((min(xs), min(ys), max(xs), max(ys)))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="sheet-map-title" class="sheet-map-svg">',
        f'<title id="sheet-map-title">{escape(xml_text(title))}</title>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for wkt, highway in _streets(community_id, frame.extent, frame.scale):
        geom = GEOSGeometry(wkt)
        width = 2.4 if highway in MAJOR_ROADS else 1.2
        for line in _lines(geom):
            out.append(f'<path d="{frame.path(line)}" stroke="#9a9a9a" stroke-width="{width}" fill="none"/>')
    # Marks from the one palette (core/palette.py), as in the sheet's legend and on /dispatch/.
    ring = " L".join(frame.xy(x, y) for x, y in zone.exterior_ring.coords)
    zone_mark = MARKS["mission_zone"]
    out.append(f'<path d="M{ring} Z" fill="{zone_mark.colour}" fill-opacity="0.06" stroke="none"/>')
    out.append(f'<g data-mark="mission_zone">{line_svg(zone_mark, f"M{ring} Z", 2.5)}</g>')
    for line in _lines(route):
        out.append(f'<g data-mark="round">{line_svg(MARKS["round"], frame.path(line), 3.5)}</g>')
    if depot is not None:
        x, y = (float(v) for v in frame.xy(depot.x, depot.y).split(","))
        out.append(
            f'<g data-mark="depot">{shape_svg("depot", f"translate({x - 9:.1f} {y - 9:.1f}) scale(0.9)")}</g>'
        )
    # Dropped stops first: SVG paints in order, so a numbered stop a few metres from a
    # dropped one is drawn on top of it, never hidden under its "–".
    for stop in sorted(stops, key=lambda s: s.state != "unassigned"):
        x, y = (float(v) for v in frame.xy(stop.point.x, stop.point.y).split(","))
        kind = STOP_MARK.get(stop.state, "stop_planned")
        out.append(
            f'<g data-mark="{kind}">{shape_svg(kind, f"translate({x - 12:.1f} {y - 12:.1f}) scale(1.2)")}'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="11" '
            f'font-family="DejaVu Sans, sans-serif" font-weight="bold" fill="{text_colour(kind)}">'
            f"{escape(xml_text(stop.number))}</text></g>"
        )
    # Scale bar: a round number of metres close to a fifth of the width.
    target = WIDTH / 5 / frame.scale
    bar_m = next((m for m in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if m >= target * 0.6), 5000)
    bar_px = bar_m * frame.scale
    out.append(
        f'<g><rect x="10" y="{HEIGHT - 28}" width="{bar_px + 12:.1f}" height="22" fill="#fff" fill-opacity="0.85"/>'
        f'<path d="M16,{HEIGHT - 12} h{bar_px:.1f}" stroke="#000" stroke-width="3"/>'
        f'<text x="16" y="{HEIGHT - 16}" font-size="10" font-family="DejaVu Sans, sans-serif">{bar_m} m</text></g>'
    )
    out.append("</svg>")
    return "".join(out)
