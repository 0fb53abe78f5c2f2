"""Open311 partner applications: their API keys and the Open311 side of the reports they file."""

import hashlib
import uuid

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Community

from .reports import Report


def partner_key_hash(key: str) -> str:
    """SHA-256 of a key: keys are long random strings, so a fast hash is enough to not store them."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class PartnerApiKey(models.Model):
    """A partner application (citizen app, FixMyStreet instance) allowed to file Open311 requests."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="partner_keys")
    name = models.CharField(_("name"), max_length=200)
    # Only the hash is kept; the prefix lets an admin recognise a key without revealing it.
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("key prefix"), max_length=8, editable=False, default="")
    active = models.BooleanField(_("active"), default=True)
    # Requests per minute, every endpoint counted; 0 refuses everything.
    rate_limit = models.PositiveIntegerField(_("rate limit (requests per minute)"), default=60)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="partner_key_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class Open311Request(models.Model):
    """What an Open311 POST carried beyond the Report itself (contact, media URL, token)."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="open311")
    partner = models.ForeignKey(
        PartnerApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    # The spec's token (tokens/{token}.json): we create reports at once, so it resolves immediately.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Kept as given; fetched into a Photo only when RONDE_OPEN311_FETCH_MEDIA allows it.
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    first_name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    device_id = models.CharField(_("device id"), max_length=200, blank=True, default="")
    account_id = models.CharField(_("account id"), max_length=200, blank=True, default="")
    # attribute[code]=value pairs as posted (validated against the service definition).
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return f"Open311 {self.token}"
