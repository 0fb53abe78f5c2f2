"""Background work of the dashboards (django-tasks)."""

from django_tasks import task

from dashboards.services.recurrence import recurrence_refresh
from dashboards.services.sites import intervention_attribute_site_by_id


@task()
def recurrence_refresh_task(community_id: int) -> int:
    """Rebuild a community's recurrence facts and precompute the default pages' figures;
    returns the number of facts."""
    return recurrence_refresh(community_id=community_id, precompute=True).rows


@task(priority=5)  # after photos (a dispatcher waits for them), before imports and rebuilds
def site_attribute_task(intervention_id: int) -> int | None:
    """Put a tag removal finished a moment ago on its site (dashboards/signals.py); the site's id."""
    site = intervention_attribute_site_by_id(intervention_id)
    return site.pk if site is not None else None
