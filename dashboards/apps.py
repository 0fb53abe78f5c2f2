from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards (tag recurrence)")

    def ready(self) -> None:
        # Finished tag removals are put on their site after commit, by the background worker
        # (dashboards/signals.py).
        from . import signals

        signals.connect()

        # Bulk imports (geo/io, raw SQL) send no signals: attribute sites after each one.
        from geo.io.targets import register_after_import

        from .services.sites import sites_after_import

        for target in ("interventions", "reports"):
            register_after_import(target, "dashboards.sites", sites_after_import)
