from django.urls import path

from . import api, recurring, views

app_name = "dispatch"

urlpatterns = [
    path("", views.board, name="board"),
    path("missions/<int:pk>/sheet/", views.sheet, name="sheet"),
    path("missions/<int:pk>/sheet.pdf", views.sheet_pdf, name="sheet-pdf"),
    path("api/board/", api.BoardView.as_view(), name="api-board"),
    path("api/preview/", api.PreviewView.as_view(), name="api-preview"),
    path("api/fit-estimate/", api.FitEstimateView.as_view(), name="api-fit-estimate"),
    path("api/missions/<int:pk>/progress/", api.ProgressView.as_view(), name="api-progress"),
    path("api/interventions/bulk/", api.BulkView.as_view(), name="api-bulk"),
    path("api/mission-templates/", api.TemplatesView.as_view(), name="api-templates"),
    path("api/mission-templates/<int:pk>/", api.TemplateView.as_view(), name="api-template"),
    path("templates/", recurring.template_list, name="templates"),
    path("templates/new/", recurring.template_create, name="template-new"),
    path("templates/<int:pk>/", recurring.template_edit, name="template-edit"),
    path("templates/<int:pk>/active/", recurring.template_active, name="template-active"),
    path("templates/<int:pk>/delete/", recurring.template_delete, name="template-delete"),
]
