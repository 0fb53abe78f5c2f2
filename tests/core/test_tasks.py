"""core/tasks.py enqueue_with_transaction: a task exists only if the transaction that asked for
it commits; with the database backend its row is part of that transaction (no commit of its own)."""

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from dashboards.tasks import site_attribute_task
from interventions.models import InterventionStatus
from tests.factories import InterventionFactory
from tests.interventions.test_photos_background import DB_TASKS


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_finished_tag_removal_enqueues_its_site_only_if_the_save_commits(community):
    planned = InterventionFactory(community=community, status=InterventionStatus.SCHEDULED)
    with override_settings(TASKS=DB_TASKS):
        with pytest.raises(Rollback), transaction.atomic():
            planned.status = InterventionStatus.DONE
            planned.save()
            raise Rollback
        assert not DBTaskResult.objects.exists()
        with transaction.atomic():
            planned.status = InterventionStatus.DONE
            planned.save()
            # Written inside the save's transaction, before its commit.
            assert DBTaskResult.objects.count() == 1
        (task,) = DBTaskResult.objects.all()
        assert task.task_path.endswith("site_attribute_task") and task.args_kwargs["args"] == [planned.pk]


@pytest.mark.django_db
def test_another_backend_runs_it_after_the_commit(community, django_capture_on_commit_callbacks):
    """The tests' immediate backend would run the task at once: it waits for the commit."""
    planned = InterventionFactory(community=community, status=InterventionStatus.SCHEDULED)
    with django_capture_on_commit_callbacks() as callbacks:
        planned.status = InterventionStatus.DONE
        planned.save()
    assert len(callbacks) == 1
    assert site_attribute_task.get_backend().__class__.__name__ == "ImmediateBackend"
