"""Every path that finishes a tag removal (API, agent sync, admin, one-by-one imports) puts
it on its site: after commit, so a rolled-back save attributes nothing. Bulk imports
(bulk_create, raw SQL) do not send signals: they call sites_attribute_all or the
`attribute_sites` command."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from interventions.models import Intervention, InterventionStatus

from .services.sites import intervention_attribute_site


def _attribute(pk: int) -> None:
    intervention = (
        Intervention.objects.select_related("category", "community")
        .filter(pk=pk, status=InterventionStatus.DONE, asset__isnull=True, category__is_tag=True)
        .first()
    )
    if intervention is not None:
        intervention_attribute_site(intervention=intervention)


def intervention_saved(sender: type, instance: Intervention, **kwargs: Any) -> None:
    if instance.status != InterventionStatus.DONE or instance.asset_id is not None:
        return
    pk = instance.pk
    transaction.on_commit(lambda: _attribute(pk))


def connect() -> None:
    post_save.connect(intervention_saved, sender=Intervention, dispatch_uid="dashboards.intervention_saved")
