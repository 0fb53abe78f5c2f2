"""{% maplibre_locale %}: MapLibre's control labels in the page's language.

MapLibre ships its button tooltips and screen-reader labels in English only; its `locale`
option takes a table of them. This tag writes that table, translated through the project's
catalogue, as a JSON data block (never executed, so the CSP allows it); the map scripts read
it with `mapLocale()` (static/js/map_locale.js).
"""

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


def maplibre_strings() -> dict[str, str]:
    return {
        "AttributionControl.ToggleAttribution": _("Show or hide the map credits"),
        "AttributionControl.MapFeedback": _("Map feedback"),
        "FullscreenControl.Enter": _("Full screen"),
        "FullscreenControl.Exit": _("Leave full screen"),
        "GeolocateControl.FindMyLocation": _("Find my location"),
        "GeolocateControl.LocationNotAvailable": _("Location not available"),
        "LogoControl.Title": _("MapLibre logo"),
        "Map.Title": _("Map"),
        "Marker.Title": _("Map marker"),
        "NavigationControl.ResetBearing": _("Drag to rotate the map, click to point north again"),
        "NavigationControl.ZoomIn": _("Zoom in"),
        "NavigationControl.ZoomOut": _("Zoom out"),
        "Popup.Close": _("Close the popup"),
        "ScaleControl.Meters": "m",
        "ScaleControl.Kilometers": "km",
        "CooperativeGesturesHandler.WindowsHelpText": _("Use Ctrl + scroll to zoom the map"),
        "CooperativeGesturesHandler.MacHelpText": _("Use ⌘ + scroll to zoom the map"),
        "CooperativeGesturesHandler.MobileHelpText": _("Use two fingers to move the map"),
        # Leaflet's (the dashboards' map), read by static/js/leaflet_locale.js.
        "Leaflet.Layers": _("Layers"),
        "Leaflet.Library": _("A JavaScript library for interactive maps"),
    }


@register.simple_tag
def maplibre_locale() -> SafeString:
    return json_script(maplibre_strings(), "maplibre-locale")
