from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards (tag recurrence)")

    def ready(self) -> None:
        # Finished tag removals are put on their site after commit (dashboards/signals.py).
        from . import signals

        signals.connect()
