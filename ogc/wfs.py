"""WFS 2.0 at /wfs/: the collections of OGC API – Features (ogc/collections.py), for the GIS
tools that speak only WFS (QGIS projects of old, Lizmap, GeoServer-based portals).

The protocol (GetCapabilities, DescribeFeatureType, GetFeature with BBOX, FES 2.0 filters,
STARTINDEX/COUNT paging, GML 3.2 and GeoJSON) is django-gisserver's; this module only says
which feature types a caller sees: one per collection that /ogc/ shows the same caller
(ogc/access.py: members see their community's collections, anyone else what it publishes),
each built on the collection's own rows, so tenancy is the queryset's.

A caller names a community as on /ogc/: ?community=<slug> (kept in every URL the
capabilities advertise) or the X-Ronde-Community header.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from gisserver.crs import CRS
from gisserver.exceptions import PermissionDenied
from gisserver.features import FeatureField, FeatureType, ServiceDescription
from gisserver.operations import wfs20
from gisserver.types import XsdTypes
from gisserver.views import WFSView

from accounts.basic import challenge
from accounts.models import Community

from .access import Caller, caller_get
from .collections import Collection
from .errors import OgcError

XML_NAMESPACE = "https://ronde.fr/ns/wfs"
# Lambert-93 is the storage CRS; WGS 84 (lat/lon, and CRS84: lon/lat) for web maps and GPS
# tools, Web Mercator for tiles.
STORAGE_CRS = CRS.from_srid(settings.RONDE_SRID)
OTHER_CRS = [CRS.from_srid(4326), CRS.from_string("urn:ogc:def:crs:OGC:1.3:CRS84"), CRS.from_srid(3857)]
# What a geometry_type of ogc/collections.py is in GML: a typed layer for GDAL and QGIS.
GML_GEOMETRY = {
    "Point": XsdTypes.gmlPointPropertyType,
    "LineString": XsdTypes.gmlCurvePropertyType,
    "Polygon": XsdTypes.gmlSurfacePropertyType,
    "MultiPolygon": XsdTypes.gmlMultiSurfacePropertyType,
}


class TypedGeometryField(FeatureField):
    """The geometry field, declared with the collection's one geometry type when it has one."""

    def __init__(self, name: str, geometry_type: str | None) -> None:
        super().__init__(name)
        self.geometry_type = geometry_type

    def _get_xsd_type(self) -> Any:
        if self.geometry_type in GML_GEOMETRY:
            return GML_GEOMETRY[self.geometry_type]
        return super()._get_xsd_type()


def feature_type_for(collection: Collection, community: Community) -> FeatureType:
    """One WFS feature type: the collection's rows, geometry and properties (ORM paths)."""
    fields: list[str | FeatureField] = [
        TypedGeometryField("geom", collection.geometry_type),
        *(
            FeatureField(name, model_attribute=path.replace("__", "."))
            for name, path in collection.properties.items()
        ),
    ]
    return FeatureType(
        collection.rows(community).order_by("pk"),
        name=collection.id,
        title=str(collection.title),
        abstract=collection.description,
        fields=fields,
        geometry_field_name="geom",
        crs=STORAGE_CRS,
        other_crs=OTHER_CRS,
        show_name_field=False,
    )


class GetCapabilities(wfs20.GetCapabilities):
    def get_context_data(self) -> dict[str, Any]:
        # The operation URLs keep ?community= (clients such as OWSLib call what is advertised);
        # gisserver's own links (paging, schema) add their query to the bare server_url.
        query = self.view.community_query().rstrip("&")
        return {
            **super().get_context_data(),
            "server_url": f"{self.view.server_url}?{query}" if query else self.view.server_url,
        }


class RondeWFSView(WFSView):
    xml_namespace = XML_NAMESPACE
    xml_namespace_aliases = {"ronde": XML_NAMESPACE}
    # GDAL's WFS driver pages with COUNT; a whole demo layer (≈10,000 features) in one page.
    max_page_size = 10_000
    caller: Caller
    accept_operations = {"WFS": {**WFSView.accept_operations["WFS"], "GetCapabilities": GetCapabilities}}

    @csrf_exempt  # POST carries XML queries (reads) from GIS clients, not forms
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.caller = caller_get(request)
        except OgcError as error:
            response = PermissionDenied(error.description, status_code=error.status).as_response()
            return challenge(response) if error.status == 401 else response
        return super().dispatch(request, *args, **kwargs)

    def get_service_description(self, service: str | None = None) -> ServiceDescription:
        community = self.caller.community
        return ServiceDescription(
            title=f"Ronde – {community.name}" if community else "Ronde",
            abstract="Street furniture, reports and interventions of a French local authority's field services.",
            keywords=["Ronde", "WFS", "graffiti", "mobilier urbain"],
            provider_name=community.name if community else "Ronde",
        )

    def get_feature_types(self) -> list[FeatureType]:
        cached = getattr(self, "_feature_types", None)
        if cached is None:
            community = self.caller.community
            cached = [feature_type_for(c, community) for c in self.caller.collections()] if community else []
            self._feature_types = cached
        return cached

    def community_query(self) -> str:
        """`community=<slug>&` when the caller named one in the URL, else ""."""
        community = self.request.GET.get("community")
        return f"{urlencode({'community': community})}&" if community else ""

    def get_xml_schema_url(self, feature_types: list[FeatureType]) -> str:
        url = super().get_xml_schema_url(feature_types)
        return url.replace("?", f"?{self.community_query()}", 1)
