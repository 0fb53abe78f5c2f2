from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = _("Map tiles")

    def ready(self) -> None:
        # Writes to mapped models purge the cached tiles they touch (after commit).
        from . import signals

        signals.connect()
