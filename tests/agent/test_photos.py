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


@pytest.mark.parametrize("raw", [False, True], ids=["multipart", "body"])
def test_a_text_file_is_refused(field, key, raw):
    response = put_photo(field.client, uuid.uuid4(), b"this is not a photo\n" * 50, intervention=key, raw=raw)
    assert response.status_code == 400
    assert "n’est pas une image" in response.json()["file"][0]
    assert not Photo.objects.exists()


@pytest.mark.parametrize("raw", [False, True], ids=["multipart", "body"])
def test_a_50_mb_upload_is_refused(field, key, raw):
    big = jpeg_bytes() + b"\0" * (50 * 1024 * 1024)
    response = put_photo(field.client, uuid.uuid4(), big, intervention=key, raw=raw)
    assert response.status_code == 400
    assert "15 Mo" in response.json()["file"][0]
    assert not Photo.objects.exists()


@override_settings(RONDE_PHOTO_MAX_MB=1)
def test_the_size_limit_is_a_setting(field, key):
    data = jpeg_bytes((2000, 1500), noise=True, quality=100)
    assert len(data) > 1024 * 1024
    response = put_photo(field.client, uuid.uuid4(), data, intervention=key)
    assert response.status_code == 400 and "1 Mo" in response.json()["file"][0]


@pytest.mark.parametrize("raw", [False, True], ids=["multipart", "body"])
def test_a_truncated_jpeg_is_refused(field, key, raw):
    data = jpeg_bytes((800, 600), noise=True)
    response = put_photo(field.client, uuid.uuid4(), data[: len(data) // 2], intervention=key, raw=raw)
    assert response.status_code == 400
    assert "incomplète" in response.json()["file"][0]
    assert not Photo.objects.exists()


@pytest.mark.parametrize("raw", [False, True], ids=["multipart", "body"])
def test_a_gif_is_refused_by_type(field, key, raw):
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    response = put_photo(field.client, uuid.uuid4(), out.getvalue(), intervention=key, raw=raw)
    assert response.status_code == 400 and "GIF" in response.json()["file"][0]


@pytest.mark.parametrize("raw", [False, True], ids=["multipart", "body"])
def test_exif_is_stripped_except_the_capture_time_and_gps_moves_to_geom(field, key, raw):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0xA431] = "SERIAL-123"  # BodySerialNumber
    exif.get_ifd(0x8769)[0x9003] = "2025:06:14 09:30:00"  # DateTimeOriginal
    exif.get_ifd(0x8769)[0x9011] = "+02:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (46.0, 34.0, 48.0)  # 46.58 N
    gps[3], gps[4] = "E", (0.0, 20.0, 24.0)  # 0.34 E
    response = put_photo(field.client, uuid.uuid4(), jpeg_bytes(exif=exif), intervention=key, raw=raw)
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


def test_a_photo_sent_as_the_body_is_stored_once_with_its_fields_from_the_query(field, key):
    """The field app's way (agent/static/agent/outbox.js): the JPEG as the body, the fields in the
    query string. Stored as a multipart upload is; a replay of the key answers the same photo."""
    photo_key = uuid.uuid4()
    first = put_photo(field.client, photo_key, jpeg_bytes(), intervention=key, kind="after", raw=True)
    assert first.status_code == 201, first.json()
    again = put_photo(field.client, photo_key, jpeg_bytes(), intervention=key, kind="after", raw=True)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    photo = Photo.objects.get()
    assert photo.kind == "after" and photo.status == "ready" and photo.intervention.client_uuid == key
    with photo.file.open("rb") as fh:
        assert Image.open(fh).format == "JPEG"
    # The device's position and capture time come in the query string too.
    query = f"kind=before&intervention={key}&lon=0.3404&lat=46.5802&taken_at=2026-06-14T09:30:00%2B02:00"
    placed = field.client.put(
        f"/agent/api/photos/{uuid.uuid4()}/?{query}", jpeg_bytes(), content_type="image/jpeg"
    )
    assert placed.status_code == 201, placed.json()
    photo = Photo.objects.get(pk=placed.json()["id"])
    position = photo.geom.transform(4326, clone=True)
    assert (round(position.x, 4), round(position.y, 4)) == (0.3404, 46.5802)
    assert photo.taken_at.isoformat().startswith("2026-06-14T07:30:00")


def test_a_photo_sent_as_the_body_names_what_is_wrong(field, key):
    photo = f"/agent/api/photos/{uuid.uuid4()}/"
    no_kind = field.client.put(f"{photo}?intervention={key}", jpeg_bytes(), content_type="image/jpeg")
    assert no_kind.status_code == 400 and "kind" in no_kind.json()
    empty = field.client.put(f"{photo}?kind=before&intervention={key}", b"", content_type="image/jpeg")
    assert empty.status_code == 400 and "file" in empty.json()
    bad_lon = field.client.put(
        f"{photo}?kind=before&intervention={key}&lon=500&lat=46", jpeg_bytes(), content_type="image/jpeg"
    )
    assert bad_lon.status_code == 400 and "lon" in bad_lon.json()
    # A file the device could not name as an image: the server says what it is not.
    unnamed = put_photo(
        field.client,
        uuid.uuid4(),
        b"%PDF-1.4\n" * 100,
        intervention=key,
        raw=True,
        content_type="application/octet-stream",
    )
    assert unnamed.status_code == 400 and "n’est pas une image" in unnamed.json()["file"][0]
    text = field.client.put(f"{photo}?kind=before&intervention={key}", b"hello", content_type="text/plain")
    assert text.status_code == 415 and "text/plain" in text.json()["detail"]
    assert not Photo.objects.exists()


@override_settings(RONDE_PHOTO_MAX_MB=1)
def test_a_body_just_over_the_limit_is_refused_before_it_is_stored(field, key):
    """Within the view's allowance for a form's overhead, the body itself is still measured."""
    data = jpeg_bytes() + b"\0" * (1024 * 1024)
    response = put_photo(field.client, uuid.uuid4(), data, intervention=key, raw=True)
    assert response.status_code == 400 and "la limite est de 1 Mo" in response.json()["file"][0]
    assert not Photo.objects.exists()
