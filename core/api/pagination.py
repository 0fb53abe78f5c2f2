"""Pagination of the API's lists: GeoJSON FeatureCollections and plain JSON."""

from rest_framework.pagination import PageNumberPagination
from rest_framework_gis.pagination import GeoJsonPagination


class GeoPagination(GeoJsonPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 5000


class JsonPagination(PageNumberPagination):
    """Plain JSON lists (teams, categories): {"count", "next", "previous", "results"}."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 5000
