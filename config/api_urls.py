"""/api/v1/: every app registers its viewsets on this one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api import TeamViewSet, TokenDetailView, TokenListView, TokenView
from geo.api.search import AddressSearchView
from geo.api.views import AssetCategoryViewSet, AssetViewSet, ZoneViewSet
from interventions.api.missions import MissionViewSet
from interventions.api.views import CategoryViewSet, InterventionViewSet, ReportViewSet

router = DefaultRouter()
router.register("assets", AssetViewSet, basename="asset")
router.register("asset-categories", AssetCategoryViewSet, basename="asset-category")
router.register("zones", ZoneViewSet, basename="zone")
router.register("reports", ReportViewSet, basename="report")
router.register("interventions", InterventionViewSet, basename="intervention")
router.register("categories", CategoryViewSet, basename="category")
router.register("teams", TeamViewSet, basename="team")
router.register("missions", MissionViewSet, basename="mission")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/tokens/", TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:token_id>/", TokenDetailView.as_view(), name="api-token-detail"),
    path("addresses/search/", AddressSearchView.as_view(), name="address-search"),
    path("", include(router.urls)),
]
