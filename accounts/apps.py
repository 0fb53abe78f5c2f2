from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Communities and users")

    def ready(self) -> None:
        # Receivers import the services: connected once the app registry is ready.
        from . import receivers

        receivers.connect()
