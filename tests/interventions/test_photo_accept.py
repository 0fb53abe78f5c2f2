"""A photo and its background task stored by one statement (interventions/services/sql/
photo_accept.sql): the same rows the ORM and django-tasks' backend write, every column; a
replay inside a caller's transaction leaves that transaction usable."""

import re
import uuid
from io import BytesIO

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from core.sql import sql_text
from core.tasks import db_task_row
from interventions.models import Photo, PhotoStatus
from interventions.services.photos import photo_create, photo_finish_task
from tests.agent.conftest import jpeg_bytes
from tests.factories import InterventionFactory
from tests.interventions.test_photos_background import DB_TASKS

STATEMENT = "interventions/services/sql/photo_accept.sql"


def _accept(community, intervention, key: uuid.UUID, position: Point | None = None):
    data = jpeg_bytes()
    return photo_create(
        community=community,
        data=BytesIO(data),
        size=len(data),
        kind="before",
        intervention=intervention,
        client_uuid=key,
        position=position,
    )


def _columns(model) -> set[str]:
    return {f.column for f in model._meta.concrete_fields}


def test_the_statement_writes_every_column_of_both_tables():
    """A column added to Photo or to django-tasks' table (an upgrade) must be added here too."""
    text = sql_text(STATEMENT)
    photo_cols, task_cols = (
        set(re.findall(r"\w+", m)) for m in re.findall(r"INSERT INTO \w+ \(([^)]*)\)", text)
    )
    assert photo_cols == _columns(Photo) - {"id"}
    assert task_cols == _columns(DBTaskResult)
    assert {f"task_{c}" for c in task_cols} - {"task_args_kwargs"} <= set(re.findall(r"%\((\w+)\)s", text))


@pytest.mark.django_db
def test_the_photo_and_its_task_are_the_rows_the_orm_writes(community, settings, tmp_path):
    settings.RONDE_PHOTO_INBOX = tmp_path
    intervention = InterventionFactory(community=community)
    here = Point(497_000.0, 6_613_100.0, srid=2154)
    with override_settings(TASKS=DB_TASKS):
        photo, created = _accept(community, intervention, uuid.uuid4(), position=here)
        assert created and photo.pk and not photo._state.adding
        # django-tasks' own enqueue of the same call, for comparison.
        orm = photo_finish_task.enqueue(photo.pk).db_result  # type: ignore[attr-defined]
    (ours,) = DBTaskResult.objects.exclude(pk=orm.pk)
    orm.refresh_from_db()
    same = {f.attname for f in DBTaskResult._meta.concrete_fields} - {"id", "enqueued_at"}
    assert {k: getattr(ours, k) for k in same} == {k: getattr(orm, k) for k in same}
    assert ours.args_kwargs == {"args": [photo.pk], "kwargs": {}}
    assert abs((ours.enqueued_at - orm.enqueued_at).total_seconds()) < 5
    stored = Photo.objects.get(pk=photo.pk)
    assert (
        stored.status == PhotoStatus.PENDING and stored.geom.equals_exact(here) and stored.geom.srid == 2154
    )
    assert stored.intervention_id == intervention.pk and stored.created_at and stored.upload == photo.upload


@pytest.mark.django_db
def test_a_replay_inside_a_callers_transaction_finds_the_first_photo(community, settings, tmp_path):
    settings.RONDE_PHOTO_INBOX = tmp_path
    intervention = InterventionFactory(community=community)
    key = uuid.uuid4()
    with override_settings(TASKS=DB_TASKS):
        first, _ = _accept(community, intervention, key)
        with transaction.atomic():
            again, created = _accept(community, intervention, key)
            assert not created and again.pk == first.pk
            # The caller's transaction is still usable after the refused INSERT.
            assert Photo.objects.filter(client_uuid=key).count() == 1
    assert DBTaskResult.objects.count() == 1
    assert len(list(tmp_path.iterdir())) == 1  # the replay's copy of the upload was removed
    assert connection.in_atomic_block  # the test's own transaction, untouched


def test_another_backend_gets_no_row():
    """The tests' immediate backend: the caller enqueues as usual (it runs the task at once)."""
    assert db_task_row(photo_finish_task, 1) is None
