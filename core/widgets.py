"""Map widgets of the Django admin, served entirely from our static files.

GeoDjango's widgets load OpenLayers from a CDN and draw OSM or NASA tiles from the
internet; Ronde runs offline and under a CSP forbidding third-party origins. This
widget loads static/vendor/ol and draws no raster base layer: the community territory
outline (a vector layer) shows where to draw instead.
"""

import json
from typing import Any

from django.contrib.gis.forms.widgets import OpenLayersWidget
from django.contrib.gis.geos import GEOSGeometry


class LocalOpenLayersWidget(OpenLayersWidget):
    template_name = "gis/ronde-openlayers.html"

    class Media:
        extend = False  # drop the parent's CDN URLs
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")

    def set_territory(self, territory: GEOSGeometry | None) -> None:
        """Outline `territory` on the map and centre new geometries on it."""
        if territory is None:
            return
        outline = territory.transform(self.map_srid, clone=True)
        self.attrs["territory_json"] = json.dumps(json.loads(outline.json))
        centre = territory.centroid.transform(4326, clone=True)
        lon, lat = json.loads(centre.json)["coordinates"][:2]
        self.attrs["default_lon"] = round(lon, 6)
        self.attrs["default_lat"] = round(lat, 6)
        self.attrs["default_zoom"] = 13

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context.setdefault("default_lon", 0)
        context.setdefault("default_lat", 0)
        context.setdefault("default_zoom", 2)
        return context
