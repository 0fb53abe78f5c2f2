"""/open311/v2/: GeoReport v2; the format is the URL's extension (.json or .xml)."""

from django.urls import path, re_path, register_converter

from . import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "fmt")

app_name = "open311"
urlpatterns = [
    path("discovery.<fmt:fmt>", views.discovery, name="discovery"),
    path("services.<fmt:fmt>", views.service_list, name="services"),
    path("services/<slug:code>.<fmt:fmt>", views.service_definition, name="service"),
    path("requests.<fmt:fmt>", views.requests_, name="requests"),
    path("requests/<int:request_id>.<fmt:fmt>", views.request_detail, name="request"),
    path("tokens/<str:token>.<fmt:fmt>", views.token_detail, name="token"),
    re_path(r"^(?P<path>.*)\.(?P<fmt>json|xml)$", views.not_found),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
