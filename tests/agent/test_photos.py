"""Photo uploads: type and size checks, damaged files, downscaling, EXIF stripping, thumbnails."""

import io
import uuid

import pytest
from django.test import override_settings
from PIL import Image

from accounts.models import Role
from interventions.models import Photo, PhotoThumbnail
from tests.agent.conftest import edit_body, jpeg_bytes, put_intervention, put_photo
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(field):
    key = uuid.uuid4()
    assert put_intervention(field.client, key, edit_body(field, field.stops[0])).status_code == 201
    return key


def test_a_text_file_is_refused(field, key):
    response = put_photo(field.client, uuid.uuid4(), b"this is not a photo\n" * 50, intervention=key)
    assert response.status_code == 400
    assert "not an image" in response.json()["file"][0]
    assert not Photo.objects.exists()


def test_a_50_mb_upload_is_refused(field, key):
    big = jpeg_bytes() + b"\0" * (50 * 1024 * 1024)
    response = put_photo(field.client, uuid.uuid4(), big, intervention=key)
    assert response.status_code == 400
    assert "15 MB" in response.json()["file"][0]
    assert not Photo.objects.exists()


@override_settings(RONDE_PHOTO_MAX_MB=1)
def test_the_size_limit_is_a_setting(field, key):
    data = jpeg_bytes((2000, 1500), noise=True, quality=100)
    assert len(data) > 1024 * 1024
    response = put_photo(field.client, uuid.uuid4(), data, intervention=key)
    assert response.status_code == 400 and "1 MB" in response.json()["file"][0]


def test_a_truncated_jpeg_is_refused(field, key):
    data = jpeg_bytes((800, 600), noise=True)
    response = put_photo(field.client, uuid.uuid4(), data[: len(data) // 2], intervention=key)
    assert response.status_code == 400
    assert "truncated" in response.json()["file"][0]
    assert not Photo.objects.exists()


def test_a_gif_is_refused_by_type(field, key):
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    response = put_photo(field.client, uuid.uuid4(), out.getvalue(), intervention=key)
    assert response.status_code == 400 and "GIF" in response.json()["file"][0]


def test_exif_is_stripped_except_the_capture_time_and_gps_moves_to_geom(field, key):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0xA431] = "SERIAL-123"  # BodySerialNumber
    exif.get_ifd(0x8769)[0x9003] = "2025:06:14 09:30:00"  # DateTimeOriginal
    exif.get_ifd(0x8769)[0x9011] = "+02:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (46.0, 34.0, 48.0)  # 46.58 N
    gps[3], gps[4] = "E", (0.0, 20.0, 24.0)  # 0.34 E
    response = put_photo(field.client, uuid.uuid4(), jpeg_bytes(exif=exif), intervention=key)
    assert response.status_code == 201, response.json()
    photo = Photo.objects.get()
    with photo.file.open("rb") as fh:
        stored = Image.open(io.BytesIO(fh.read()))
        kept = stored.getexif()
    raw = bytes(kept.tobytes())
    assert b"CameraMaker" not in raw and b"SERIAL-123" not in raw and b"Model X" not in raw
    assert not kept.get_ifd(0x8825)
    assert kept.get_ifd(0x8769)[0x9003] == "2025:06:14 09:30:00"
    assert photo.taken_at.isoformat().startswith("2025-06-14T07:30:00")  # UTC
    position = photo.geom.transform(4326, clone=True)
    assert round(position.y, 3) == 46.58 and round(position.x, 3) == 0.34


def test_a_large_photo_is_downscaled_and_thumbnailed(field, key):
    response = put_photo(field.client, uuid.uuid4(), jpeg_bytes((4000, 3000)), intervention=key)
    assert response.status_code == 201
    photo = Photo.objects.get()
    with photo.file.open("rb") as fh:
        assert max(Image.open(fh).size) == 2048
    thumb = PhotoThumbnail.objects.get(photo=photo)
    assert (thumb.width, thumb.height) == (2048, 1536)
    with thumb.file.open("rb") as fh:
        assert max(Image.open(fh).size) == 320


def test_a_photo_for_another_agents_work_is_refused(field, key, community):
    from accounts.models import Role
    from tests.agent.conftest import token_client
    from tests.factories import member

    outsider = token_client(member(community, Role.AGENT))
    response = put_photo(outsider, uuid.uuid4(), jpeg_bytes(), intervention=key)
    assert response.status_code == 403
    assert not Photo.objects.exists()


def test_a_truncated_jpeg_is_still_refused_after_a_mission_sheet_was_printed(field, key, community, client):
    """WeasyPrint (the PDF sheet) turns Pillow's LOAD_TRUNCATED_IMAGES on for the process."""
    client.force_login(member(community, Role.DISPATCHER))
    assert client.get(f"/dispatch/missions/{field.mission.pk}/sheet.pdf").status_code == 200
    data = jpeg_bytes((800, 600), noise=True)
    response = put_photo(field.client, uuid.uuid4(), data[: len(data) // 2], intervention=key)
    assert response.status_code == 400
    assert not Photo.objects.exists()


def test_a_truncated_small_jpeg_is_still_refused(field, key):
    data = jpeg_bytes(noise=True)
    response = put_photo(field.client, uuid.uuid4(), data[: len(data) // 2], intervention=key)
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Photo.objects.exists()
