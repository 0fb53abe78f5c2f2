from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("report/", views.report, name="report"),
    path("export/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("share/", views.share, name="share"),
    path("public/<str:token>/", views.public, name="public"),
    path("public/<str:token>/report/", views.public_report, name="public-report"),
    path("public/<str:token>/export/<slug:table>.<slug:fmt>", views.public_export, name="public-export"),
]
