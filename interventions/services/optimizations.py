"""Round optimisation in the background: the web request queues it and answers at once, the
worker (`manage.py db_worker`, django-tasks: the queue the imports and Open311 media fetches
use) runs mission_optimize, and the dispatcher's board polls the stage and progress.

A big zone takes seconds (snapping, the street matrix, the solver): a web worker must not
wait for it (issue 23). One optimisation per mission at a time (a database constraint):
a second press while one is queued or running gets that one back as a conflict.
"""

import datetime as dt
import logging
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from accounts.models import User
from core.geometry import transformed
from core.progress import ProgressWriter, worker_stalled
from interventions.models import (
    ACTIVE_OPTIMIZATION_STATUSES,
    Mission,
    MissionOptimization,
    OptimizationStage,
    OptimizationStatus,
)

from .optimize import OptimizeOptions, mission_optimize

logger = logging.getLogger("ronde.optimizations")

# Share of the usual time spent before each stage begins (%), measured on 300-job walking
# zones of the real-network benchmark (benchmarks/routing_zones.py): the distances and the
# solver take most of it.
STAGE_PROGRESS = {
    OptimizationStage.WAITING: 0,
    OptimizationStage.NETWORK: 5,
    OptimizationStage.DISTANCES: 15,
    OptimizationStage.SOLVE: 50,
    OptimizationStage.ROUTE: 80,
    OptimizationStage.STORE: 90,
    OptimizationStage.FINISHED: 100,
}
# A running optimisation that has said nothing for this long lost its worker (killed,
# restarted): it is marked failed so that the mission can be optimised again.
LOST_AFTER = timedelta(minutes=10)
LOST = "The optimisation was interrupted (the background worker stopped): optimise again."
UNEXPECTED = "The optimisation failed unexpectedly: optimise again, or tell the administrator."


class OptimizationRunning(Exception):
    """The mission already has an optimisation queued or running."""

    def __init__(self, optimization: MissionOptimization):
        super().__init__(f"Mission {optimization.mission_id} is already being optimised.")
        self.optimization = optimization


def _options_json(options: OptimizeOptions) -> dict[str, Any]:
    """The per-call options as JSON for the worker (positions in the storage SRID)."""
    position = options.position
    if position is not None and position.srid != settings.RONDE_SRID:
        position = cast(Point, transformed(position, settings.RONDE_SRID))
    return {
        "fixed_first_stop": options.fixed_first_stop,
        "position": [position.x, position.y] if position is not None else None,
        "at": options.at.isoformat() if options.at else None,
        "windows": {
            str(stop): [t.isoformat() if t else None for t in window]
            for stop, window in (options.windows or {}).items()
        },
    }


def _options_from(data: dict[str, Any]) -> OptimizeOptions:
    def time_or_none(value: str | None) -> dt.time | None:
        return dt.time.fromisoformat(value) if value else None

    position = data.get("position")
    return OptimizeOptions(
        fixed_first_stop=data.get("fixed_first_stop"),
        position=Point(position[0], position[1], srid=settings.RONDE_SRID) if position else None,
        at=dt.datetime.fromisoformat(data["at"]) if data.get("at") else None,
        windows={
            int(stop): (time_or_none(start), time_or_none(end))
            for stop, (start, end) in (data.get("windows") or {}).items()
        },
    )


def _forget_lost(mission: Mission) -> None:
    mission.optimizations.filter(
        status=OptimizationStatus.RUNNING, updated_at__lt=timezone.now() - LOST_AFTER
    ).update(status=OptimizationStatus.FAILED, errors={"detail": [LOST]}, finished_at=timezone.now())


def mission_optimization_request(
    *, mission: Mission, options: OptimizeOptions | None = None, user: User | None = None
) -> MissionOptimization:
    """Queue an optimisation of `mission` for the background worker; returns it as it stands
    when the request ends (done already with a synchronous task backend: tests, one process).

    Raises OptimizationRunning when one is queued or running. Takes the mission's row lock
    while it checks, so that two presses at the same moment queue one optimisation."""
    options = options or OptimizeOptions()
    with transaction.atomic():
        Mission.objects.select_for_update().filter(pk=mission.pk).first()
        _forget_lost(mission)
        active = mission.optimizations.filter(status__in=ACTIVE_OPTIMIZATION_STATUSES).first()
        if active is not None:
            raise OptimizationRunning(active)
        try:
            with transaction.atomic():
                job = MissionOptimization.objects.create(
                    mission=mission, requested_by=user, options=_options_json(options)
                )
        except IntegrityError as exc:  # mission_optimization_one_active: another request won
            raise OptimizationRunning(
                mission.optimizations.filter(status__in=ACTIVE_OPTIMIZATION_STATUSES).first() or job
            ) from exc
        # The task's row commits with the job's: the worker never sees one without the other.
        result = mission_optimization_task.enqueue(job.pk)
        MissionOptimization.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


@task()
def mission_optimization_task(optimization_id: int) -> str:
    """The background side of "Optimise the round"; returns the final status."""
    return mission_optimization_run(optimization_id=optimization_id)


def mission_optimization_run(*, optimization_id: int) -> str:
    """Run a queued optimisation: mission_optimize with its stages written as it goes."""
    job = MissionOptimization.objects.filter(pk=optimization_id).first()
    if job is None or job.status != OptimizationStatus.QUEUED:
        return job.status if job is not None else "missing"
    now = timezone.now()
    MissionOptimization.objects.filter(pk=job.pk).update(
        status=OptimizationStatus.RUNNING,
        stage=OptimizationStage.NETWORK,
        progress=STAGE_PROGRESS[OptimizationStage.NETWORK],
        started_at=now,
        updated_at=now,
    )
    # mission_optimize runs in one transaction: the stages go out on a side connection.
    writer = ProgressWriter(table=MissionOptimization._meta.db_table, job_id=job.pk)

    def progress(stage: str) -> None:
        writer.write(force=True, stage=stage, progress=STAGE_PROGRESS[OptimizationStage(stage)])

    plan: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    try:
        mission = Mission.objects.select_related("team", "community").get(pk=job.mission_id)
        plan = mission_optimize(mission=mission, options=_options_from(job.options), progress=progress)
    except Mission.DoesNotExist:
        errors = {"detail": ["The mission was deleted."]}
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    except Exception:  # the job must end in a state the board can show
        logger.exception("optimisation %s of mission %s failed", job.pk, job.mission_id)
        errors = {"detail": [UNEXPECTED]}
    finally:
        writer.close()
    status = OptimizationStatus.FAILED if errors else OptimizationStatus.DONE
    # A failed one keeps the stage it failed in (the board says where it stopped).
    finished: dict[str, Any] = {"stage": OptimizationStage.FINISHED, "progress": 100} if not errors else {}
    MissionOptimization.objects.filter(pk=job.pk).update(
        status=status,
        plan=plan,
        errors=errors,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        **finished,
    )
    return str(status)


def optimization_stalled(job: MissionOptimization) -> bool:
    """Queued for over RONDE_WORKER_STALLED_S: no background worker has picked it up."""
    return job.status == OptimizationStatus.QUEUED and worker_stalled(queued_since=job.created_at)
