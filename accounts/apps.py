from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Communities and users")

    def ready(self) -> None:
        # Receivers import the services: connected once the app registry is ready.
        from . import receivers

        receivers.connect()

        from corsheaders.signals import check_request_enabled

        from .cors import community_allows_origin

        check_request_enabled.connect(community_allows_origin, dispatch_uid="ronde-community-cors")
