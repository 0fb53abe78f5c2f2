"""make backup / make restore: a restore into an empty database gives the same rows and files."""

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from interventions.models import Photo
from tests.factories import InterventionFactory, ReportFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(settings.BASE_DIR)
TABLES = ["accounts_community", "interventions_report", "interventions_intervention", "interventions_photo"]


def _url(dbname: str) -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT']}/{dbname}"


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]


def _run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def restore_db():
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = _url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}"')
        conn.execute(f'create database "{name}"')
    yield name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def test_backup_then_restore_gives_same_counts_and_files(tmp_path, restore_db, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    report = ReportFactory()
    InterventionFactory.create_batch(3, community=report.community, category=report.category)
    photo = Photo.objects.create(
        community=report.community,
        report=report,
        taken_at=timezone.now(),
        file=ContentFile(b"\xff\xd8 not really a jpeg but bytes to keep", name="tag.jpg"),
    )
    source = _url(connection.settings_dict["NAME"])
    backup_dir = tmp_path / "backup"

    done = _run(
        "backup.sh", str(backup_dir), env={"DATABASE_URL": source, "RONDE_MEDIA_ROOT": settings.MEDIA_ROOT}
    )
    assert done.returncode == 0, done.stderr
    assert (backup_dir / "database.dump").stat().st_size > 0

    restored_media = tmp_path / "restored-media"
    target = _url(restore_db)
    done = _run(
        "restore.sh", str(backup_dir), env={"DATABASE_URL": target, "RONDE_MEDIA_ROOT": str(restored_media)}
    )
    assert done.returncode == 0, done.stderr
    assert (
        _counts(target)
        == _counts(source)
        == {
            "accounts_community": 1,
            "interventions_report": 1,
            "interventions_intervention": 3,
            "interventions_photo": 1,
        }
    )
    restored = restored_media / photo.file.name
    assert restored.read_bytes() == Path(photo.file.path).read_bytes()

    # A second restore would mix two states: it is refused, the data stays as it was.
    again = _run(
        "restore.sh", str(backup_dir), env={"DATABASE_URL": target, "RONDE_MEDIA_ROOT": str(restored_media)}
    )
    assert again.returncode != 0
    assert "empty database" in again.stdout
    assert _counts(target)["interventions_intervention"] == 3


def test_restore_refuses_a_damaged_backup(tmp_path, restore_db):
    source = _url(connection.settings_dict["NAME"])
    backup_dir = tmp_path / "backup"
    assert _run("backup.sh", str(backup_dir), env={"DATABASE_URL": source}).returncode == 0
    with open(backup_dir / "database.dump", "r+b") as dump:
        dump.seek(100)
        dump.write(b"garbage")
    done = _run("restore.sh", str(backup_dir), env={"DATABASE_URL": _url(restore_db)})
    assert done.returncode != 0
    assert "damaged" in done.stdout
