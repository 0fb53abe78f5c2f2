"""A photo is accepted in the request and finished by the background worker
(interventions/services/photos.py): the sender's 201 means it cannot be lost, and until the
worker has stripped it nothing of it is served — the original waits outside MEDIA_ROOT."""

import datetime as dt
import io
import os
import threading
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from interventions.models import Photo, PhotoStatus, PhotoThumbnail
from interventions.services import photos as photos_service
from interventions.services.photo_inbox import inbox_write
from interventions.services.photos import GPS_IFD, photo_finish_stale, photo_finish_task
from tests.agent.conftest import edit_body, jpeg_bytes, make_field, put_intervention, put_photo
from tests.interventions.test_photos import phone_photo

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _upload(community, data: bytes, key: uuid.UUID | None = None):
    field = make_field(community, n_stops=1)
    intervention_key = uuid.uuid4()
    assert (
        put_intervention(field.client, intervention_key, edit_body(field, field.stops[0])).status_code == 201
    )
    response = put_photo(field.client, key or uuid.uuid4(), data, intervention=intervention_key)
    return field, intervention_key, response


@pytest.mark.django_db(transaction=True)
def test_a_photo_is_served_only_after_the_worker_stripped_it(community, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RONDE_PHOTO_INBOX = tmp_path / "inbox"
    with override_settings(TASKS=DB_TASKS):
        field, _, response = _upload(community, phone_photo())
        assert response.status_code == 201, response.content
        body = response.json()
        photo = Photo.objects.get(pk=body["id"])
        # Accepted: the row, the capture time read from the EXIF, and its queued task.
        assert photo.status == PhotoStatus.PENDING
        assert photo.taken_at.date().isoformat() == "2025-06-14"
        assert DBTaskResult.objects.filter(task_path__endswith="photo_finish_task").count() == 1
        # Nothing served yet, nothing under MEDIA_ROOT: the original, EXIF and all, waits outside.
        assert field.client.get(body["url"]).status_code == 404
        assert field.client.get(body["thumbnail_url"]).status_code == 404
        assert _files(settings.MEDIA_ROOT) == []
        (waiting,) = _files(settings.RONDE_PHOTO_INBOX)
        assert b"SERIAL-123" in waiting.read_bytes()
        # A replay of the key while it waits: the same photo, nothing new.
        again = put_photo(
            field.client, uuid.UUID(body["client_uuid"]), phone_photo(), intervention=uuid.uuid4()
        )
        assert again.status_code == 200 and again.json()["id"] == body["id"]

        # The project's worker, as deployed (django-tasks db_worker), runs the queue once.
        call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)

    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY and photo.upload == ""
    served = field.client.get(body["url"])
    assert served.status_code == 200
    stored = b"".join(served.streaming_content)
    assert b"SERIAL-123" not in stored and b"CameraMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)
    assert field.client.get(body["thumbnail_url"]).status_code == 200
    assert PhotoThumbnail.objects.filter(photo=photo).count() == 1
    assert _files(settings.RONDE_PHOTO_INBOX) == []  # the original is gone once stored
    assert Photo.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_finishes_photos_at_idle_priority(community, settings, tmp_path):
    # As deployed (core/idle_cpu.py): the pipeline's CPU on a thread the kernel runs only on a
    # free core, so agents' uploads never wait behind it.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RONDE_PHOTO_INBOX = tmp_path / "inbox"
    settings.RONDE_BACKGROUND_IDLE_CPU = True
    with override_settings(TASKS=DB_TASKS):
        _field, _, response = _upload(community, phone_photo())
        assert response.status_code == 201, response.content
        call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    photo = Photo.objects.get(pk=response.json()["id"])
    assert photo.status == PhotoStatus.READY and PhotoThumbnail.objects.filter(photo=photo).exists()
    (idle,) = [t for t in threading.enumerate() if t.name.startswith("ronde-idle-cpu")]
    assert os.sched_getscheduler(idle.native_id) == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the worker's own thread


@pytest.mark.django_db(transaction=True)
def test_the_pipeline_holds_no_lock_and_a_photo_deleted_meanwhile_stores_nothing(
    community, settings, tmp_path, monkeypatch
):
    # At idle priority the pipeline may wait through a burst of uploads: the photo's row must
    # stay free meanwhile (a dispatcher deleting it is not kept waiting), and what the pipeline
    # made of a photo deleted meanwhile is not stored.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RONDE_PHOTO_INBOX = tmp_path / "inbox"
    with override_settings(TASKS=DB_TASKS):
        _, _, kept = _upload(community, jpeg_bytes())
        _, _, deleted = _upload(community, jpeg_bytes())
    started, release = threading.Event(), threading.Event()
    real = photos_service.photo_process

    def slow_pipeline(**kwargs):  # the real pipeline, held while the test looks at the row
        started.set()
        assert release.wait(20)
        return real(**kwargs)

    monkeypatch.setattr(photos_service, "photo_process", slow_pipeline)
    for response, delete in ((kept, False), (deleted, True)):
        photo_id = response.json()["id"]
        outcome: list = []

        def finish(photo_id=photo_id, outcome=outcome):
            try:
                outcome.append(photo_finish_task.call(photo_id))
            finally:
                connection.close()

        worker = threading.Thread(target=finish)
        worker.start()
        assert started.wait(20)
        with transaction.atomic():
            photo = Photo.objects.select_for_update(nowait=True).get(pk=photo_id)  # not locked
            if delete:
                photo.delete()
        release.set()
        worker.join(20)
        started.clear(), release.clear()
        assert outcome == [None if delete else PhotoStatus.READY]
    assert list(Photo.objects.values_list("pk", "status")) == [(kept.json()["id"], PhotoStatus.READY)]
    assert PhotoThumbnail.objects.count() == 1
    assert len(list((tmp_path / "media").rglob("*.jpg"))) == 2  # the kept photo and its thumbnail


@pytest.mark.django_db
def test_a_jpeg_damaged_inside_is_marked_unreadable_and_never_served(community, settings, tmp_path):
    """Its end looks whole, so the request accepts it; the worker's decoder refuses it."""
    settings.MEDIA_ROOT = tmp_path
    data = bytearray(jpeg_bytes((640, 480), noise=True))
    scan = data.index(b"\xff\xda")
    for k in range(scan + 200, scan + 5000, 7):
        data[k] = 0xFF if k % 2 else 0xC8
    assert bytes(data).endswith(b"\xff\xd9")
    field, _, response = _upload(community, bytes(data))
    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert photo.status == PhotoStatus.FAILED
    assert "abîmée" in photo.problem
    assert not photo.file and not PhotoThumbnail.objects.exists()
    assert field.client.get(response.json()["url"]).status_code == 404
    assert _files(tmp_path) == []


@pytest.mark.django_db
def test_a_truncated_jpeg_is_refused_in_the_request_and_leaves_no_upload(community, settings, tmp_path):
    settings.RONDE_PHOTO_INBOX = tmp_path
    data = jpeg_bytes((800, 600), noise=True)
    _, _, response = _upload(community, data[: len(data) // 2])
    assert response.status_code == 400 and "incomplète" in response.json()["file"][0]
    assert not Photo.objects.exists() and _files(tmp_path) == []


@pytest.mark.django_db
def test_a_jpeg_with_a_trailer_after_its_end_is_checked_in_the_request(community):
    """Not ending with its end marker (a vendor trailer): decoded in the request, as before."""
    whole = jpeg_bytes((640, 480), noise=True) + b"VENDOR-TRAILER" * 20
    _, _, response = _upload(community, whole)
    assert response.status_code == 201, response.content
    assert Photo.objects.get().status == PhotoStatus.READY
    cut = jpeg_bytes((640, 480), noise=True)
    _, _, refused = _upload(community, cut[: len(cut) // 2] + b"VENDOR-TRAILER" * 20)
    assert refused.status_code == 400


@pytest.mark.django_db
def test_a_photo_left_pending_by_a_stopped_worker_is_finished_by_the_next_task(community, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with override_settings(TASKS=DB_TASKS):
        _, _, first = _upload(community, jpeg_bytes())
        _, _, second = _upload(community, jpeg_bytes())
    assert first.status_code == second.status_code == 201
    # The first one's worker stopped mid-task, long ago: its task will never finish it.
    Photo.objects.filter(pk=first.json()["id"]).update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert photo_finish_stale() == 1
    photo_finish_task.call(second.json()["id"])
    assert set(Photo.objects.values_list("status", flat=True)) == {PhotoStatus.READY}
    assert PhotoThumbnail.objects.count() == 2
    # Finishing again stores nothing twice.
    assert photo_finish_task.call(first.json()["id"]) == PhotoStatus.READY
    assert PhotoThumbnail.objects.count() == 2
    assert len(list((tmp_path / "photos").rglob("*.jpg"))) == 2


def test_an_inbox_inside_media_root_is_refused(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.RONDE_PHOTO_INBOX = tmp_path / "inbox"
    with pytest.raises(ImproperlyConfigured):
        inbox_write(data=io.BytesIO(jpeg_bytes()), stem="x")
    assert _files(tmp_path) == []
