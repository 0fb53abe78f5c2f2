"""The dashboard map, built with folium, every asset served by us (no CDN, no jQuery).

folium's Map loads Leaflet, jQuery, Bootstrap and awesome-markers from CDNs by default and
its Popup needs jQuery: we replace the asset lists with our static Leaflet, and draw
districts and hotspots with one small element of our own (GeoJsonLayer) whose popups and
tooltips are plain Leaflet. No basemap: the map shows the territory, districts, heatmap and
sites (a basemap from the internet is not allowed; ours is vector-only).
"""

import dataclasses
import json
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, cast

import folium
import xyzservices
from branca.element import Element, MacroElement
from django.contrib.gis.geos import Point
from django.templatetags.static import static
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.timezone import get_current_timezone_name, localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from jinja2 import Template

from accounts.models import Community
from core.geometry import transformed
from core.palette import DISTRICT_TINTS, INK, MARKS
from core.per_thread import per_process
from core.sql import run_sql

from .formats import num, pct
from .selectors import DistrictFigures, Hotspot, Visit
from .sqlfiles import sql_file

# Districts are shaded in len(DISTRICT_TINTS) classes, each a tint and a hatching
# (core/palette.py district_patterns_svg: the page holds the patterns, the map refers to them).
CLASSES = len(DISTRICT_TINTS)


class RenderedText(Element):
    """Text already rendered, added to the page as it is.

    branca's MacroElement.render wraps each rendered macro in `Element(text)`, which compiles
    that text as a Jinja template: the streets' GeoJSON (up to 20,000 lines) was compiled on
    every dashboard view, and a street, district or address name holding "{{ … }}" was
    evaluated by Jinja on the server (tooltips are HTML-escaped, braces are not)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class LayerElement(MacroElement):
    """A MacroElement whose rendered macros go into the page as RenderedText."""

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(RenderedText(str(macro(self, kwargs))), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
        return f"L.{self._name}"


class GeoJsonLayer(LayerElement):
    """A GeoJSON layer whose features carry their style, tooltip and popup (HTML, escaped
    in Python); points become circle markers. Plain Leaflet, no jQuery."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({% if this.data_from %}{{ this.data_from }}{% else %}{{ this.data|tojson }}{% endif %}, {
            style: function (f) { return f.properties.style; },
            pointToLayer: function (f, latlng) { return L.circleMarker(latlng, f.properties.style); },
            onEachFeature: function (f, layer) {
                if (f.properties.tooltip) { layer.bindTooltip(f.properties.tooltip); }
                if (f.properties.popup) { layer.bindPopup(f.properties.popup, {maxWidth: 320}); }
                // A shape with a popup is a button a keyboard reaches (role, name, Enter);
                // the others are pictures the tables below repeat: out of the tab order.
                layer.on("add", function () {
                    var el = layer.getElement && layer.getElement();
                    if (!el) { return; }
                    if (f.properties.popup && f.properties.label) {
                        el.setAttribute("tabindex", "0");
                        el.setAttribute("role", "button");
                        el.setAttribute("aria-label", f.properties.label);
                        el.addEventListener("keydown", function (e) {
                            if (e.key === "Enter" || e.key === " ") { e.preventDefault(); layer.openPopup(); }
                        });
                    } else {
                        el.setAttribute("tabindex", "-1");
                        el.setAttribute("aria-hidden", "true");
                    }
                });
            }
        });
        {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], name: str, show: bool = True, data_from: str = "") -> None:
        """data_from: a JavaScript expression giving the data instead (another map's layer:
        the page carries the data once)."""
        super().__init__()
        self._name = "GeoJsonLayer"
        self.data = data
        self.data_from = data_from
        self.layer_name = name
        self.show = show


class MetricScale(LayerElement):
    """Leaflet's scale bar in metres only (its default adds feet and miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


# Width in pixels of a street by road class on the dashboard's base map (others: 1).
STREET_WIDTHS = {"motorway": 4, "trunk": 4, "primary": 3.5, "secondary": 3, "tertiary": 2.5, "residential": 2}
BASEMAP_STREETS_MAX = 20_000  # lines (one per street name and class): bounds the page's weight


def basemap_geojson(community: Community) -> dict[str, Any]:
    """The offline base map under the heatmap: the community's streets, named on hover."""
    rows = run_sql(sql_file("basemap_streets.sql"), {"community": community.pk, "limit": BASEMAP_STREETS_MAX})
    features = []
    for name, highway, geometry in rows:
        if not geometry:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(geometry),
                "properties": {
                    "style": {"color": "#8b8f97", "weight": STREET_WIDTHS.get(highway, 1), "opacity": 0.7},
                    **({"tooltip": escape(name)} if name else {}),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


class OverlayControl(LayerElement):
    """Leaflet's layer switcher over our own layers (folium's LayerControl only knows its own)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.layers(null, {
            {% for label, layer in this.layers %}{{ label|tojson }}: {{ layer }},{% endfor %}
        }, {collapsed: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, layers: list[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "OverlayControl"
        self.layers = layers


def _class(value: float, top: float) -> int:
    if top <= 0:
        return 0
    return min(int(value / top * CLASSES), CLASSES - 1)


def _top(districts: list[DistrictFigures], shade: str, volume_top: float | None = None) -> float:
    if shade == "rate":
        return 1.0
    return volume_top or max((d.cleanings for d in districts), default=0)


def district_classes(
    districts: list[DistrictFigures], shade: str, volume_top: float | None = None
) -> list[dict[str, Any]]:
    """The legend of the district shading: each class's pattern id and the values it covers."""
    top = _top(districts, shade, volume_top)
    out = []
    for n in range(CLASSES):
        low, high = top * n / CLASSES, top * (n + 1) / CLASSES
        if shade == "rate":
            label = f"{low * 100:.0f} – {high * 100:.0f} %"
        else:
            label = f"{low:.0f} – {high:.0f} {_('removals')}"
        out.append({"n": n, "pattern": f"district-class-{n}", "label": label})
    return out


def districts_geojson(
    districts: list[DistrictFigures], shade: str, volume_top: float | None = None
) -> dict[str, Any]:
    """`volume_top`: the volume of the darkest class (two maps side by side share one scale)."""
    top = _top(districts, shade, volume_top)
    features = []
    for d in districts:
        value = (d.rate30 or 0.0) if shade == "rate" else d.cleanings
        label = f"{d.name}: {pct(d.rate30)} · {num(d.cleanings)} {_('removals')}"
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(d.geojson),
                "properties": {
                    "style": {
                        "className": "mark-zone",
                        "color": MARKS["zone"].colour,
                        "weight": 2,
                        "fillColor": f"url(#district-class-{_class(value, top)})",
                        "fillOpacity": 1,
                    },
                    "tooltip": escape(label),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def hotspot_popup(spot: Hotspot, visits: list[Visit]) -> str:
    title = spot.label
    rows = "".join(
        f"<tr><td>{date_format(localtime(v.ended_at), 'SHORT_DATE_FORMAT')}</td><td>{escape(v.method_label or '–')}</td>"
        f"<td>{'' if v.surface_m2 is None else f'{num(v.surface_m2, 2)} m²'}</td></tr>"
        for v in visits[:10]
    )
    return (
        f"<strong>{escape(title)}</strong><br>"
        f"{escape(_('Removals'))}: {spot.cleanings} · {escape(_('Returns'))}: {spot.returns}<br>"
        f"<table><caption>{escape(_('History'))}</caption>"
        f"<tr><th scope='col'>{escape(_('Date'))}</th><th scope='col'>{escape(_('Method'))}</th>"
        f"<th scope='col'>m²</th></tr>{rows}</table>"
    )


def hotspots_geojson(spots: list[Hotspot], histories: dict[int, list[Visit]]) -> dict[str, Any]:
    top = max((s.returns for s in spots), default=0) or 1
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {
                    "style": {
                        "radius": 6 + 10 * s.returns / top,
                        "className": "mark-hotspot",
                        "color": INK,
                        "weight": 2,
                        "fillColor": MARKS["hotspot"].colour,
                        "fillOpacity": 0.9,
                    },
                    "tooltip": escape(f"{s.label}: {s.returns} {_('returns')}"),
                    # The button's accessible name (plain text: an attribute, not HTML).
                    "label": f"{s.label}: {s.returns} {_('returns')}",
                    "popup": hotspot_popup(s, histories.get(s.site_id, [])),
                },
            }
            for s in spots
        ],
    }


@dataclass(frozen=True)
class MapParts:
    head: str
    body: str
    script: str
    name: str = ""  # the map's JavaScript variable (a global of the page)
    streets: str = ""  # its base map layer's variable (a second map draws the same streets)


_VIEWPORT = re.compile(r"<meta name=\"viewport\"[^>]*>", re.S)
_STYLE = re.compile(r"<style>.*?</style>", re.S)
_PAGE_STYLE = re.compile(r"<style>\s*html, body \{.*?</style>|<style>\s*#map \{.*?</style>", re.S)


def _local_tiles(url: str) -> xyzservices.TileProvider:
    """Our own tile URL as a provider: given a bare string, folium first looks it up among
    xyzservices' ~1,000 named providers (flattened anew on every call: ~4 ms per layer, a tenth
    of the dashboard page's time)."""
    return xyzservices.TileProvider(name="ronde", url=url, attribution="Ronde")


# The maps of a dashboard page are kept per worker: folium builds and renders them in 7-14 ms
# of CPU (a third to half of the page's), and the base map's streets are merged by the database
# in 33 ms for 1,258 segments (seed_demo; a real city has 20 times as many).
MAPS_KEPT = 16  # per worker: a map with seed_demo's 1,258 streets is ~100 KB, a real city's ~2 MB
_NONCE = "ronde-map-nonce"  # the kept maps' nonce, replaced by each request's own


def basemap_version(community: Community) -> str:
    """A fingerprint of the community's streets as the base map draws them (one cheap scan)."""
    return str(run_sql(sql_file("basemap_version.sql"), {"community": community.pk})[0][0])


def maps_kept(
    *, community: Community, key: Hashable, nonce: str, build: Callable[[str], list[MapParts]]
) -> list[MapParts]:
    """The maps `build(nonce)` draws, built once per worker for `key` and for what else they
    are drawn from: the community's territory (its updated_at: every save of it sets it), its
    streets (basemap_version), the language and time zone of their labels and dates. `key`
    must name the rest: the figures drawn (their cache key), the filters, the shade."""
    full = (community.pk, community.updated_at, basemap_version(community), get_language(),
            get_current_timezone_name(), key)  # fmt: skip
    parts = per_process("dashboard-maps", full, lambda: build(_NONCE), limit=MAPS_KEPT)
    mark, own = f'nonce="{_NONCE}"', f'nonce="{escape(nonce)}"'
    return [dataclasses.replace(p, head=p.head.replace(mark, own)) for p in parts]


def dashboard_map(
    *,
    community: Community,
    districts: list[DistrictFigures],
    spots: list[Hotspot],
    histories: dict[int, list[Visit]],
    heat_query: str,
    compare_query: str | None,
    shade: str,
    nonce: str = "",
    volume_top: float | None = None,
    with_assets: bool = True,
    streets_from: str = "",
) -> MapParts:
    """The folium map, split into head/body/script parts to embed in our page.

    compare_query: the heatmap of the same period last year as a layer to switch on (None:
    none, as when two maps of two periods are side by side). with_assets=False: the head
    holds only this map's own style (a second map on a page that already loads Leaflet), and
    streets_from names the first map's base map layer, whose streets it draws too."""
    centre = cast(Point, transformed(community.territory.centroid, 4326))
    fmap = folium.Map(
        location=[centre.y, centre.x],
        zoom_start=13,
        tiles=None,
        height=480,
        control_scale=False,
    )
    fmap.add_child(MetricScale())
    # Our static copies only (see module docstring); instance lists, never the class's.
    fmap.default_js = [("leaflet", static("vendor/leaflet/leaflet.js"))]
    fmap.default_css = [("leaflet_css", static("vendor/leaflet/leaflet.css"))]
    territory = transformed(community.territory, 4326)
    outline = GeoJsonLayer(
        {
            "type": "Feature",
            "geometry": json.loads(territory.json),
            "properties": {
                "style": {
                    "className": "mark-territory",
                    "color": MARKS["territory"].colour,
                    "weight": 2,
                    "fill": False,
                }
            },
        },
        _("Territory"),
    )
    fmap.add_child(outline)
    # The offline base map (our own streets, names on hover) under everything else.
    if streets_from:  # the streets are in the page once (thousands of lines)
        streets = GeoJsonLayer({}, _("Streets"), data_from=f"{streets_from}.toGeoJSON()")
    else:
        streets = GeoJsonLayer(basemap_geojson(community), _("Streets"))
    fmap.add_child(streets)
    district_layer = GeoJsonLayer(districts_geojson(districts, shade, volume_top), _("Districts"))
    fmap.add_child(district_layer)
    heat = folium.TileLayer(
        tiles=_local_tiles(f"/tiles/heatmap/{{z}}/{{x}}/{{y}}.png?{heat_query}"),
        attr="Ronde",
        name=_("Heatmap"),
        overlay=True,
        max_zoom=20,
        max_native_zoom=20,
    )
    fmap.add_child(heat)
    switchable = [(_("Districts"), district_layer.get_name()), (_("Heatmap"), heat.get_name())]
    if compare_query is not None:
        before = folium.TileLayer(
            tiles=_local_tiles(f"/tiles/heatmap/{{z}}/{{x}}/{{y}}.png?{compare_query}"),
            attr="Ronde",
            name=_("Same period last year"),
            overlay=True,
            show=False,
            max_zoom=20,
            max_native_zoom=20,
        )
        fmap.add_child(before)
        switchable.append((_("Same period last year"), before.get_name()))
    sites = GeoJsonLayer(hotspots_geojson(spots, histories), _("Top recurrent sites"))
    fmap.add_child(sites)
    switchable.append((_("Top recurrent sites"), sites.get_name()))
    fmap.add_child(OverlayControl(switchable))
    if territory.extent:
        minx, miny, maxx, maxy = territory.extent
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    root = fmap.get_root()
    root.render()
    head = _PAGE_STYLE.sub("", _VIEWPORT.sub("", root.header.render()))  # type: ignore[attr-defined]
    # folium's head has an inline <script> (Leaflet flags): it runs under our CSP nonce.
    head = head.replace("<script>", f'<script nonce="{escape(nonce)}">')
    if not with_assets:
        head = "".join(_STYLE.findall(head))
    return MapParts(
        head=head,
        body=root.html.render(),  # type: ignore[attr-defined]
        script=root.script.render(),  # type: ignore[attr-defined]
        name=fmap.get_name(),
        streets=streets.get_name(),
    )
