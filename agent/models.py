"""What the sync protocol needs beside the interventions' own tables: edit state, audit, deliveries, keys.

Kept in this app (not in `interventions`) so the field app's bookkeeping never collides with
the dispatch models; every row still belongs to one community.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, Team
from interventions.models import Intervention, Mission


class InterventionSync(models.Model):
    """The agent-side clock of an intervention's last applied edit, and the dispatcher's flag.

    Edits are compared on `client_updated_at` (the device's clock when the agent saved),
    not on arrival time: the latest field value wins however late it syncs.
    """

    intervention = models.OneToOneField(Intervention, on_delete=models.CASCADE, related_name="sync_state")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    client_updated_at = models.DateTimeField(_("last edit on the device"))
    # The client UUID (intervention key) whose edit is applied; a second device has another.
    client_key = models.UUIDField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Work kept although its mission was cancelled or reassigned: the dispatcher must look.
    flagged = models.BooleanField(_("needs the dispatcher's attention"), default=False)
    flag_reason = models.CharField(_("reason"), max_length=32, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("intervention sync state")
        verbose_name_plural = _("intervention sync states")
        indexes = [
            models.Index(fields=["community"], condition=Q(flagged=True), name="intervention_sync_flagged")
        ]

    def __str__(self) -> str:
        return f"intervention {self.intervention_id} @ {self.client_updated_at:%Y-%m-%d %H:%M}"


class AuditKind(models.TextChoices):
    MISSION_CANCELLED = "mission_cancelled", _("Work on a cancelled mission")
    MISSION_REASSIGNED = "mission_reassigned", _("Work on a reassigned mission")
    CONCURRENT_EDIT = "concurrent_edit", _("Newer edit replaced another one")
    STALE_EDIT = "stale_edit", _("Older edit kept out")


class AuditEntry(models.Model):
    """One sync decision a person may want to check (never a plain successful write)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=AuditKind.choices)
    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries"
    )
    mission = models.ForeignKey(Mission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_key = models.UUIDField(null=True, blank=True)
    client_updated_at = models.DateTimeField(null=True, blank=True)
    # Field values before/after ({"surface_m2": ["2.00", "3.50"], …}) or the dropped values.
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sync audit entry")
        verbose_name_plural = _("sync audit entries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "created_at"], name="audit_community_created")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AuditKind.values), name="audit_kind_valid"),
            # A replayed request must not write the same entry twice.
            models.UniqueConstraint(
                fields=["intervention", "kind", "client_key", "client_updated_at"],
                name="audit_entry_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · intervention {self.intervention_id}"


class MissionDelivery(models.Model):
    """A mission was sent to an agent while it was their team's: later work on it is theirs to keep.

    This is what separates "reassigned after I downloaded it" (kept, flagged) from "never
    mine" (refused).
    """

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    # What was handed over (ids): work on these stays the agent's after a reassignment.
    intervention_ids = models.JSONField(default=list, blank=True)
    stop_ids = models.JSONField(default=list, blank=True)
    delivered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mission delivery")
        verbose_name_plural = _("mission deliveries")
        constraints = [
            models.UniqueConstraint(fields=["mission", "user"], name="mission_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"mission {self.mission_id} → user {self.user_id}"


class InterventionAlias(models.Model):
    """Another device's client UUID for an intervention that already had one (two agents, one stop).

    Lets that device's replays resolve to the same intervention and create nothing.
    """

    client_uuid = models.UUIDField(unique=True)
    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="client_aliases")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("intervention client key")
        verbose_name_plural = _("intervention client keys")

    def __str__(self) -> str:
        return f"{self.client_uuid} → intervention {self.intervention_id}"
