from django.urls import path

from . import api, views

app_name = "dispatch"

urlpatterns = [
    path("", views.board, name="board"),
    path("missions/<int:pk>/sheet/", views.sheet, name="sheet"),
    path("missions/<int:pk>/sheet.pdf", views.sheet_pdf, name="sheet-pdf"),
    path("api/board/", api.BoardView.as_view(), name="api-board"),
    path("api/preview/", api.PreviewView.as_view(), name="api-preview"),
    path("api/missions/<int:pk>/progress/", api.ProgressView.as_view(), name="api-progress"),
    path("api/interventions/bulk/", api.BulkView.as_view(), name="api-bulk"),
    path("api/mission-templates/", api.TemplatesView.as_view(), name="api-templates"),
]
