"""/geo/imports/… (community admins) and /geo/exports/… (every member)."""

from django.urls import path

from . import exports, imports

app_name = "geodata"

urlpatterns = [
    path("imports/", imports.import_list, name="imports"),
    path("imports/<int:job_id>/", imports.import_preview_page, name="import-preview"),
    path("imports/<int:job_id>/job/", imports.import_job_page, name="import-job"),
    path("imports/<int:job_id>/status.json", imports.import_status, name="import-status"),
    path("imports/<int:job_id>/report.csv", imports.import_report_csv, name="import-report-csv"),
    path("exports/", exports.export_page, name="exports"),
    path("exports/download/", exports.ExportDownload.as_view(), name="export-download"),
]
