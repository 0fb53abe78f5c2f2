"""Background work of the dashboards (django-tasks)."""

from django_tasks import task

from dashboards.services.recurrence import recurrence_refresh


@task()
def recurrence_refresh_task(community_id: int) -> int:
    """Rebuild a community's recurrence facts and precompute the default pages' figures;
    returns the number of facts."""
    return recurrence_refresh(community_id=community_id, precompute=True).rows
