"""Soft delete for interventions and missions: a deleted row stays (restorable by an admin)
until `purge_deleted` removes it; `objects` never returns it, `all_objects` does."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LiveManager(models.Manager):
    """The default manager: rows not deleted. Reverse relations (mission.interventions) use it too."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


def deleted_at_field() -> models.DateTimeField:
    return models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)


def deleted_by_field() -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("deleted by"),
    )
