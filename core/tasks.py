"""Background tasks written with the rows they are about, as few round trips as possible.

django-tasks' database backend enqueues with an ORM INSERT of its own (DBTaskResult).
- db_task_row: on the hottest write (a photo sent from the field: interventions/services/
  photos.py) the row and its task were BEGIN, two INSERTs and COMMIT: four round trips and ~1 ms
  of CPU compiling them, for what one statement does (a CTE inserting both: atomic on its own).
  It gives the task's column values exactly as the backend would insert them (the same model,
  defaults, pre_save signal and adapters); the statement adds what only it knows (the new
  row's id). tests/interventions/test_photo_accept.py compares the two rows column by column.
- enqueue_with_transaction: a task that must exist only if the caller's transaction commits,
  written inside that transaction rather than in a second one after it.
"""

from typing import Any

from django.db import connection, transaction
from django.db.models.signals import pre_save
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import Task, normalize_json
from django_tasks_db.models import DBTaskResult

from .sql import insert_values


def db_task_row(task: Task, *args: Any) -> dict[str, Any] | None:
    """{column: value} of the row enqueuing `task(*args)` in django-tasks' database backend, or
    None when the task runs on another backend (the tests' immediate one): enqueue it as usual."""
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    backend.validate_task(task)
    row = DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": args, "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,
        backend_name=backend.alias,
    )
    # The backend's own receiver fills what its INSERT leaves to it (run_after's "no date").
    pre_save.send(sender=DBTaskResult, instance=row, raw=False, using="default", update_fields=None)
    return insert_values(row, without=())


def enqueue_with_transaction(task: Task, *args: Any) -> None:
    """Enqueue `task(*args)` so that it exists only if the current transaction commits.

    With the database backend its row is written inside the transaction: it commits or rolls
    back with the caller's rows, and needs no commit of its own (enqueued after the commit, an
    agent's edit paid a second transaction, flushed to disk, for it). With any other backend
    (the tests' immediate one runs the task at once), after the commit."""
    if isinstance(task.get_backend(), DatabaseBackend) or not connection.in_atomic_block:
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))
