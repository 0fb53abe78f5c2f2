from django.urls import path

from . import api, views

app_name = "agent"

urlpatterns = [
    path("", views.shell, name="app"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("icon-<int:size>.png", views.icon, name="icon"),
    path("api/missions/", api.MissionListView.as_view(), name="api-missions"),
    path("api/missions/<int:mission_id>/", api.MissionDetailView.as_view(), name="api-mission"),
    path("api/interventions/<str:client_uuid>/", api.InterventionSyncView.as_view(), name="api-intervention"),
    path("api/reports/<str:client_uuid>/", api.ReportSyncView.as_view(), name="api-report"),
    path("api/photos/<str:client_uuid>/", api.PhotoSyncView.as_view(), name="api-photo"),
]
