from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import oidc, twofactor
from config import views
from core import security
from core.api.reference import api_reference
from interventions import photo_access
from ogc.wfs import RondeWFSView
from tiles import feature_views as tiles_feature_views
from tiles import views as tiles_views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/two-factor/", twofactor.two_factor, name="two-factor"),
    # Django's logout, then the identity provider's (RP-initiated) after an OIDC sign-in.
    path("accounts/logout/", oidc.RondeLogoutView.as_view(), name="logout"),
    path("accounts/oidc/<int:provider_id>/login/", oidc.oidc_login, name="oidc-login"),
    path("accounts/oidc/<int:provider_id>/callback/", oidc.oidc_callback, name="oidc-callback"),
    # The accessibility statement French law requires, linked from every page's footer.
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("open311/v2/", include("interventions.open311.urls")),
    path("ogc/", include("ogc.urls")),
    path("wfs/", RondeWFSView.as_view(), name="wfs"),
    path("dashboards/", include("dashboards.urls")),
    path("tiles/", include("tiles.urls")),
    path("map/", tiles_views.map_page, name="map"),
    path("map/feature/", tiles_feature_views.feature, name="map-feature"),
    path("map/list/", tiles_feature_views.feature_list, name="map-list"),
    path("agent/", include("agent.urls")),
    path("dispatch/", include("dispatch.urls")),
    path("geo/", include("geo.web.urls")),
    path("administration/", include("administration.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # The same reference as a plain accessible page (Swagger UI is not: RGAA).
    path("api/reference/", api_reference, name="api-reference"),
    # Photos only through a permission check (never MEDIA_URL): interventions/photo_access.py.
    path("photos/<int:photo_id>/<str:size>/", photo_access.photo_view, name="photo"),
    path("security/csp-report/", security.csp_report, name="csp-report"),
]
# MEDIA_ROOT is never served as such (photos go through the "photo" view above).

# A JSON 404 under the APIs (config/views.py).
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
