"""Every path that finishes a tag removal (API, agent sync, admin, one-by-one imports) puts
it on its site: only once committed, so a rolled-back save attributes nothing (the task's row is
written in the save's transaction: core/tasks.py enqueue_with_transaction), and in the background
worker (dashboards/tasks.py), so an agent's sync does not wait for it (a site lookup, maybe a
new asset and the tiles it purges: a quarter of a field edit's time in the request). Bulk
imports (bulk_create, raw SQL) do not send signals: they call sites_attribute_all or the
`attribute_sites` command."""

from typing import Any

from django.db.models.signals import post_save

from core.tasks import enqueue_with_transaction
from interventions.models import Intervention, InterventionStatus

from .tasks import site_attribute_task


def intervention_saved(sender: type, instance: Intervention, **kwargs: Any) -> None:
    if instance.status != InterventionStatus.DONE or instance.asset_id is not None:
        return
    enqueue_with_transaction(site_attribute_task, instance.pk)


def connect() -> None:
    post_save.connect(intervention_saved, sender=Intervention, dispatch_uid="dashboards.intervention_saved")
