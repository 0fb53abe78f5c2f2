"""Hostile uploads to the web import (issue 22): no server path in any message, a preview
that stays small whatever the file holds, an oversized upload refused before it is read."""

import io
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from geo.models import ImportJob
from tests.factories import AssetCategoryFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, community):
    AssetCategoryFactory(community=community, code="bench", name="Banc")
    client.force_login(member(community, Role.ADMIN))
    return client


def zip_slip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../../../etc/passwd.shp", b"not a shapefile")
    return buffer.getvalue()


XXE_KML = b"""<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&xxe;</name>
<Point><coordinates>0.34,46.58</coordinates></Point></Placemark></Document></kml>
<junk/>"""


@pytest.mark.parametrize("name, body", [("zipslip.zip", zip_slip()), ("xxe.kml", XXE_KML)])
def test_import_errors_never_show_a_server_path(admin_client, name, body):
    admin_client.post("/geo/imports/", {"file": SimpleUploadedFile(name, body), "into": "assets"})
    job = ImportJob.objects.get()
    for language in ("fr", "en"):
        page = admin_client.get(f"/geo/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        html = page.content.decode()
        assert page.status_code == 400 and 'id="preview-error"' in html
        error = html.split('id="preview-error">', 1)[1].split("</div>", 1)[0]
        for leak in (str(settings.MEDIA_ROOT), "/vsizip/", "media/imports", "/etc/", "/srv/", "/tmp/"):  # noqa: S108 - looked for, not used
            assert leak not in error, error
        assert name in error  # people still see which file
        lead = "Ce fichier ne peut pas être importé." if language == "fr" else "This file cannot be imported."
        assert lead in error
