"""Admin for partner API keys: a community admin issues and revokes keys for partner apps."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.admin import CommunityScopeMixin
from interventions.models import PartnerApiKey
from interventions.models.partners import partner_key_hash

from .services import new_key_value


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(CommunityScopeMixin, admin.ModelAdmin):
    list_display = ("name", "community", "key_prefix", "active", "rate_limit", "last_used_at", "created_at")
    list_filter = ("active", "community")
    search_fields = ("name", "key_prefix")
    fields = ("community", "name", "active", "rate_limit", "key_prefix", "last_used_at", "created_at")
    readonly_fields = ("key_prefix", "last_used_at", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PartnerApiKey]:
        return super().get_queryset(request).select_related("community")

    def save_model(self, request: HttpRequest, obj: PartnerApiKey, form: Any, change: bool) -> None:
        if not change:
            # The value is shown once, here; only its hash is stored.
            key = new_key_value()
            obj.key_hash = partner_key_hash(key)
            obj.key_prefix = key[:8]
            messages.warning(
                request,
                _("The new API key is %(key)s — copy it now, it will not be shown again.") % {"key": key},
            )
        super().save_model(request, obj, form, change)
