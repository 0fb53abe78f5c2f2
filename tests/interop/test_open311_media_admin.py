"""Open311 media_url fetching (only when allowed) and partner keys issued in the admin."""

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlencode

import pytest
from django.test import Client
from PIL import Image

from accounts.models import User
from interventions.models import PartnerApiKey, Report

from .conftest import PARTNER_KEY
from .helpers import wgs84

pytestmark = pytest.mark.django_db


class _Photos(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        type(self).hits.append(self.path)
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
        body = buffer.getvalue()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def photo_server():
    """A partner's photo host on loopback (no internet in tests)."""
    _Photos.hits = []
    server = HTTPServer(("127.0.0.1", 0), _Photos)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _post(media_url: str, key: str = PARTNER_KEY):
    lat, lon = wgs84()
    data = {"api_key": key, "service_code": "tag", "lat": lat, "long": lon, "media_url": media_url}
    return Client().post(
        "/open311/v2/requests.json", urlencode(data), content_type="application/x-www-form-urlencoded"
    )


def test_media_url_is_not_fetched_by_default(
    partner, tag_service, photo_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(f"{photo_server}/tag.png")
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.photos.count() == 0 and _Photos.hits == []
    [body] = Client().get(f"/open311/v2/requests/{report.pk}.json", {"api_key": PARTNER_KEY}).json()
    assert body["media_url"] == f"{photo_server}/tag.png"


def test_media_url_is_fetched_when_the_setting_allows(
    settings, tmp_path, partner, tag_service, photo_server, django_capture_on_commit_callbacks
):
    settings.RONDE_OPEN311_FETCH_MEDIA = True
    # The test host is on loopback and an unusual port: both refused unless allowed
    # (tests/interop/test_open311_media_ssrf.py).
    settings.RONDE_OUTBOUND_ALLOW_PRIVATE = True
    settings.RONDE_OUTBOUND_PORTS = [int(photo_server.rsplit(":", 1)[1])]
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(f"{photo_server}/tag.png").status_code == 200
    report = Report.objects.get()
    [photo] = report.photos.all()
    assert _Photos.hits == ["/tag.png"]
    with Image.open(photo.file.path) as image:
        assert image.size == (8, 8)
    [body] = Client().get(f"/open311/v2/requests/{report.pk}.json", {"api_key": PARTNER_KEY}).json()
    # A signed, expiring link through the permission-checked photo view (no public media URL).
    assert f"/photos/{photo.pk}/full/?sig=" in body["media_url"]
    fetched = Client().get(body["media_url"].removeprefix("http://testserver"))
    # Through the photo pipeline: re-encoded as JPEG (interventions/services/photos.py).
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/jpeg"


def test_admin_issues_a_key_shown_once_that_works(community, tag_service):
    admin = User.objects.create_superuser("root", "root@example.org", "pw-123456789")
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        "/admin/interventions/partnerapikey/add/",
        {"community": community.pk, "name": "FixMyStreet", "active": "on", "rate_limit": 30},
        follow=True,
    )
    assert response.status_code == 200
    # The key is the one word of the warning that is not in its wording (whatever the language).
    [warning] = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    key = max(warning.split(), key=len)
    partner = PartnerApiKey.objects.get(name="FixMyStreet")
    assert key not in partner.key_hash and partner.key_prefix == key[:8]
    assert _post("", key=key).status_code == 200
