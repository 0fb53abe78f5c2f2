from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = _("Territory, assets and streets")

    def ready(self) -> None:
        # geo's own import/export targets; interventions registers its layers the same way.
        from .io import layers

        layers.register()
