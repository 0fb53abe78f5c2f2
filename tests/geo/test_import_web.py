"""The web import as a community admin: upload → preview → confirm → job done (immediate backend)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from geo.models import Asset, ImportJob
from tests.factories import member
from tests.geo.geodata_files import FAR, feature, point, write_geojson

pytestmark = pytest.mark.django_db


def upload(client, tmp_path, features, name="bancs.geojson", into="assets"):
    path = write_geojson(tmp_path / name, features)
    data = {"file": SimpleUploadedFile(name, path.read_bytes()), "into": into}
    return client.post("/geo/imports/", data)


def test_upload_preview_confirm_job_done(admin_client, tmp_path, community):
    features = [feature(point(i * 10, 0), ref=f"B{i}", nom=f"Banc {i}") for i in range(3)]
    features.append(feature(point(*FAR), ref="far", nom="Loin"))
    response = upload(admin_client, tmp_path, features)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/geo/imports/{job.pk}/"
    preview = admin_client.get(response.url)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "EPSG:4326" in html and "data-total>4<" in html
    assert html.count("<tr data-index=") == 4
    assert 'id="preview-geojson"' in html
    confirm = admin_client.post(
        response.url,
        {"step": "preview", "confirm": "1", "category": "bench", "map_name": "nom", "external_id": "ref"},
    )
    assert confirm.status_code == 302 and confirm.url == f"/geo/imports/{job.pk}/job/"
    job.refresh_from_db()
    assert job.status == "done", job.report
    assert (job.report["created"], job.report["skipped"]) == (3, 1)
    assert Asset.objects.filter(community=community).count() == 3
    status = admin_client.get(f"/geo/imports/{job.pk}/status.json").json()
    assert status["finished"] and status["done"] == status["total"] == 4
    assert any("feature #3 (id far)" in line for line in status["lines"])
    page = admin_client.get(confirm.url).content.decode()
    assert 'id="import-progress"' in page
    assert "3 created" in page or "3 créé" in page


def test_failed_job_writes_nothing_and_shows_why(admin_client, tmp_path):
    upload(admin_client, tmp_path, [feature(point(0, 0), nom="x")])
    job = ImportJob.objects.get()
    admin_client.post(f"/geo/imports/{job.pk}/", {"step": "preview", "confirm": "1", "category": ""})
    job.refresh_from_db()
    assert job.status == "failed"
    assert "need a category" in job.report["lines"][0]
    assert Asset.objects.count() == 0


def test_unreadable_upload_shows_the_error_in_the_preview(admin_client):
    data = {"file": SimpleUploadedFile("casse.geojson", b"{not json"), "into": "assets"}
    response = admin_client.post("/geo/imports/", data, follow=True)
    assert response.status_code == 400
    assert 'id="preview-error"' in response.content.decode()
    assert "casse.geojson: impossible de lire le fichier" in response.content.decode()


def test_wrong_file_type_is_refused(admin_client):
    data = {"file": SimpleUploadedFile("photo.jpg", b"\xff\xd8"), "into": "assets"}
    response = admin_client.post("/geo/imports/", data)
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.AGENT, Role.VIEWER])
def test_other_roles_get_403(client, community, role, tmp_path):
    client.force_login(member(community, role))
    assert client.get("/geo/imports/").status_code == 403
    data = {"file": SimpleUploadedFile("a.geojson", b"{}"), "into": "assets"}
    assert client.post("/geo/imports/", data).status_code == 403


def test_jobs_of_another_community_are_not_found(admin_client, other_community):
    from tests.factories import UserFactory

    job = ImportJob.objects.create(
        community=other_community,
        created_by=UserFactory(),
        file_path="x.geojson",
        original_name="x",
        into="assets",
    )
    assert admin_client.get(f"/geo/imports/{job.pk}/").status_code == 404
    assert admin_client.get(f"/geo/imports/{job.pk}/status.json").status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get("/geo/imports/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_export_page_for_members(client, community):
    client.force_login(member(community, Role.VIEWER))
    html = client.get("/geo/exports/").content.decode()
    assert 'data-export="assets-gpkg"' in html


def test_the_import_pages_speak_french(admin_client, tmp_path):
    """#18: the mapping labels are the fields' French names, not "surface_m2"; the job's
    result is a "Compte rendu", not a "Signalement"."""
    response = upload(admin_client, tmp_path, [feature(point(0, 0), ref="B0", nom="Banc")])
    html = admin_client.get(response.url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    found = re.findall(r'<label for="id_map_(\w+)">([^<]+)</label>', html)
    labels = {field: label.strip() for field, label in found}
    assert labels["name"] == "Nom" and labels["support"] == "Support"
    assert all(label != field for field, label in labels.items() if field not in ("support",))
    job = ImportJob.objects.get()
    page = admin_client.get(f"/geo/imports/{job.pk}/job/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Signalement" not in page
