"""The audit trail: who changed which report, intervention or mission, when, how, from where.

One generic table (content type + object id) rather than one history table per model: the
history of an intervention, a report and a mission reads the same way, and a purge of the
objects keeps their trail (no foreign key to the object itself).
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Community


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    RESTORE = "restore", _("Restored")
    PURGE = "purge", _("Purged")


class AuditSource(models.TextChoices):
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    AGENT = "agent", _("Field app")
    OPEN311 = "open311", _("Open311")
    WEB = "web", _("Web pages")
    SYSTEM = "system", _("System (command, task)")


class AuditEvent(models.Model):
    """One change to one object. Rows are only ever added (the admin shows them read-only)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=200, blank=True, default="")
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    # {"field": [old, new], …} with JSON-friendly values (decimals and dates as strings,
    # geometries as EWKT in the storage SRID, or a length when too long to keep).
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text too: the trail must still say who after the user is deleted.
    username = models.CharField(_("user name"), max_length=150, blank=True, default="")
    source = models.CharField(_("source"), max_length=16, choices=AuditSource.choices)
    user_agent = models.CharField(_("device (user agent)"), max_length=300, blank=True, default="")
    # The offline client's idempotency key (the field app's intervention/report UUID).
    client_uuid = models.UUIDField(_("client UUID"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=False)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"], name="audit_event_object"),
            models.Index(fields=["community", "created_at"], name="audit_event_community"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="audit_event_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=AuditSource.values), name="audit_event_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr or self.object_id} by {self.username or '-'}"

    @property
    def object_label(self) -> str:
        """object_repr in the reader's language: it is stored with its model's name in English
        (audit.services._repr, the same in every language), swapped here for the translated one."""
        model = ContentType.objects.get_for_id(self.content_type_id).model_class()  # cached
        raw = model._meta.verbose_name_raw if model is not None else ""
        if model is not None and raw and self.object_repr.startswith(raw):
            return capfirst(str(model._meta.verbose_name)) + self.object_repr[len(raw) :]
        return self.object_repr
