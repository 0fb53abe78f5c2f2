"""The commands docs/deploy.md puts in cron run as written, and the prune keeps what it says:
two weeks of finished background jobs, three months of failed ones, every job still to run."""

import datetime as dt
import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dashboards.tasks import site_attribute_task
from tests.interventions.test_photos_background import DB_TASKS

pytestmark = pytest.mark.django_db
DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def cron_commands() -> list[list[str]]:
    """The `manage.py` command and arguments of each line of the deploy guide's cron block."""
    block = re.search(r"## Scheduled commands.*?```cron\n(.*?)```", DEPLOY.read_text(), re.S)
    assert block, "docs/deploy.md has no cron block under 'Scheduled commands'"
    lines = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    return [shlex.split(line.split("manage.py ", 1)[1]) for line in lines]


def _job(status: str, finished_days_ago: float | None) -> DBTaskResult:
    result = site_attribute_task.enqueue(1)
    row = DBTaskResult.objects.get(pk=result.id)
    row.status = status
    if finished_days_ago is not None:
        row.finished_at = timezone.now() - dt.timedelta(days=finished_days_ago)
    row.save()
    return row


def test_the_cron_lines_run_and_the_prune_keeps_what_it_says():
    commands = cron_commands()
    assert [c[0] for c in commands] == ["create_recurring_missions", "prune_db_task_results"]
    with override_settings(TASKS=DB_TASKS):
        old_done = _job("SUCCESSFUL", 20)
        recent_done = _job("SUCCESSFUL", 2)
        failed_a_month_ago = _job("FAILED", 30)
        failed_long_ago = _job("FAILED", 120)
        waiting = _job("READY", None)
        for command in commands:
            call_command(*command, verbosity=0)
    kept = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert kept == {recent_done.pk, failed_a_month_ago.pk, waiting.pk}
    assert old_done.pk not in kept and failed_long_ago.pk not in kept
