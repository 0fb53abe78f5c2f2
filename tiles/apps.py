from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = _("Map tiles")

    def ready(self) -> None:
        # Writes purge the cached tiles they touch: database triggers for the mapped tables
        # (re)installed after each migrate, a signal for a community's territory.
        from django.db.models.signals import post_migrate

        from . import signals, triggers

        signals.connect()
        post_migrate.connect(triggers.install, sender=self, dispatch_uid="tiles-purge-triggers")
