"""One photo pipeline (interventions/services/photos.py) for every source: a photo from the field
app and an Open311 partner's media_url come out without the EXIF GPS position or the device,
and with a thumbnail."""

import io
import struct
import threading
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from PIL import Image

from interventions.models import Photo, PhotoThumbnail, Report
from interventions.open311.services import partner_key_ensure
from interventions.services.photos import EXIF_IFD, GPS_IFD, photo_process
from tests.agent.conftest import edit_body, make_field, put_intervention, put_photo
from tests.factories import CategoryFactory
from tests.interop.helpers import wgs84

pytestmark = pytest.mark.django_db

PARTNER_KEY = "partner-key-for-photo-tests-0123"


def phone_photo() -> bytes:
    """What a phone writes: its maker, model and serial, the capture time, where it stood."""
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0xA431] = "SERIAL-123"  # BodySerialNumber
    exif.get_ifd(EXIF_IFD)[0x9003] = "2025:06:14 09:30:00"  # DateTimeOriginal
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (46.0, 34.0, 48.0), "E", (0.0, 20.0, 24.0)
    out = io.BytesIO()
    Image.effect_noise((1200, 900), 40).convert("RGB").save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


class _PartnerHost(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def partner_host():
    """The partner app's photo host, on loopback (no internet in tests)."""
    server = HTTPServer(("127.0.0.1", 0), _PartnerHost)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _open311_report(community, partner_host, media: bytes, capture) -> Report:
    """A partner files a report whose media_url serves `media` (fetching is on)."""
    _PartnerHost.body = media
    partner_key_ensure(community=community, name="Citizen app", key=PARTNER_KEY)
    CategoryFactory(community=community, code="tag", name="Tag", is_tag=True)
    lat, lon = wgs84()
    form = {"api_key": PARTNER_KEY, "service_code": "tag", "lat": lat, "long": lon}
    form["media_url"] = f"{partner_host}/tag.jpg"
    with capture(execute=True):
        response = Client().post(
            "/open311/v2/requests.json", urlencode(form), content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 200, response.content  # Open311 POST: 200 as the spec documents
    return Report.objects.get(source="partner")


def _agent_photo(community, data: bytes) -> Photo:
    field = make_field(community, n_stops=1)
    key = uuid.uuid4()
    assert put_intervention(field.client, key, edit_body(field, field.stops[0])).status_code == 201
    response = put_photo(field.client, uuid.uuid4(), data, intervention=key)
    assert response.status_code == 201, response.json()
    return Photo.objects.get(pk=response.json()["id"])


@pytest.fixture
def fetching(settings, tmp_path, partner_host):
    settings.RONDE_OPEN311_FETCH_MEDIA = True
    settings.MEDIA_ROOT = tmp_path
    # The partner's host is on loopback in tests: allowed here only (the SSRF rules refuse it).
    settings.RONDE_OUTBOUND_ALLOW_PRIVATE = True
    settings.RONDE_OUTBOUND_PORTS = [int(partner_host.rsplit(":", 1)[1])]
    return settings


def test_an_open311_photo_and_an_agent_photo_lose_their_gps_and_device_and_get_a_thumbnail(
    community, fetching, partner_host, django_capture_on_commit_callbacks
):
    data = phone_photo()
    with Image.open(io.BytesIO(data)) as sent:  # the test photo does carry what must go
        assert sent.getexif().get_ifd(GPS_IFD) and b"SERIAL-123" in data
    photos = {
        "open311": _open311_report(
            community, partner_host, data, django_capture_on_commit_callbacks
        ).photos.get(),
        "agent": _agent_photo(community, data),
    }
    for source, photo in photos.items():
        with photo.file.open("rb") as fh:
            stored = fh.read()
        for leak in (b"CameraMaker", b"Model X", b"SERIAL-123"):
            assert leak not in stored, (source, leak)
        with Image.open(io.BytesIO(stored)) as image:
            exif = image.getexif()
            assert not exif.get_ifd(GPS_IFD), source
            # The capture time is the one thing kept, and read into the row.
            assert exif.get_ifd(EXIF_IFD)[0x9003] == "2025:06:14 09:30:00", source
        assert photo.taken_at.date().isoformat() == "2025-06-14", source
        thumbnail = PhotoThumbnail.objects.get(photo=photo)
        assert (thumbnail.width, thumbnail.height) == (1200, 900), source
        with thumbnail.file.open("rb") as fh, Image.open(fh) as thumb:
            assert max(thumb.size) == fetching.RONDE_PHOTO_THUMB_PX, source
    # The position the partner gave is the Open311 photo's, not the EXIF's.
    assert photos["open311"].geom.equals_exact(photos["open311"].report.geom, 0.01)


def test_an_open311_media_that_is_not_an_image_leaves_the_report_without_photo(
    community, fetching, tmp_path, partner_host, django_capture_on_commit_callbacks
):
    report = _open311_report(
        community, partner_host, b"<html>not found</html>", django_capture_on_commit_callbacks
    )
    assert report.photos.count() == 0
    assert not list(tmp_path.rglob("*.jpg"))


def test_a_png_claiming_400_megapixels_is_a_400_not_a_500():
    """Pillow itself refuses to open it (a decompression bomb): the sender is told why."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    header = struct.pack(">II", 20_000, 20_000) + bytes(data[24:29])  # IHDR: width, height, rest
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    with pytest.raises(ValidationError) as refused:
        photo_process(data=io.BytesIO(bytes(data)), size=len(data))
    assert "trop de pixels" in refused.value.message_dict["file"][0]
