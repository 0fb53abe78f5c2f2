from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentConfig(AppConfig):
    """The field agents' offline-first app (/agent/) and its idempotent sync API."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "agent"
    verbose_name = _("Field app")

    def ready(self) -> None:
        from interventions.selectors import register_write_grant

        from .selectors import delivered_grant

        register_write_grant(delivered_grant)
