from django.urls import path

from . import views
from .heatmap import views as heatmap_views

app_name = "tiles"

urlpatterns = [
    # Heatmap rasters (tiles/heatmap/views.py; the dashboards show them).
    path("heatmap/<str:z>/<str:x>/<str:y>.png", heatmap_views.heatmap_tile_view, name="heatmap"),
    path("heatmap/legend.json", heatmap_views.heatmap_legend_view, name="heatmap-legend"),
    path("heatmap.tif", heatmap_views.heatmap_geotiff_view, name="heatmap-geotiff"),
    path("style.json", views.style, name="style"),
    path("<str:layer>.json", views.tilejson, name="tilejson"),
    path("<str:layer>/<str:z>/<str:x>/<str:y>.mvt", views.tile, name="tile"),
]
