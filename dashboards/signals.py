"""Every path that finishes a tag removal (API, agent sync, admin, one-by-one imports) puts
it on its site: after commit, so a rolled-back save attributes nothing, and in the background
worker (dashboards/tasks.py), so an agent's sync does not wait for it (a site lookup, maybe a
new asset and the tiles it purges: a quarter of a field edit's time in the request). Bulk
imports (bulk_create, raw SQL) do not send signals: they call sites_attribute_all or the
`attribute_sites` command."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from interventions.models import Intervention, InterventionStatus

from .tasks import site_attribute_task


def intervention_saved(sender: type, instance: Intervention, **kwargs: Any) -> None:
    if instance.status != InterventionStatus.DONE or instance.asset_id is not None:
        return
    pk = instance.pk
    transaction.on_commit(lambda: site_attribute_task.enqueue(pk))


def connect() -> None:
    post_save.connect(intervention_saved, sender=Intervention, dispatch_uid="dashboards.intervention_saved")
