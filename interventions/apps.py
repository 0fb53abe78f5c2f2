from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterventionsConfig(AppConfig):
    name = "interventions"
    verbose_name = _("Reports, interventions and missions")

    def ready(self) -> None:
        # The Open311 partner-key admin lives beside the Open311 code (interventions/open311/).
        # geo/io imports and exports reports, interventions and missions through this registry.
        from . import io
        from .open311 import admin as open311_admin  # noqa: F401

        io.register()

        # Every new community starts with the default taxonomy (accounts cannot import us).
        from accounts.signals import community_created

        from .services.taxonomy import on_community_created

        community_created.connect(on_community_created, dispatch_uid="interventions-default-taxonomy")
