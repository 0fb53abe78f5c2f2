"""The web import is the command import: same readers and checks, a dry run in the preview
(outside-territory count, category values), a mapping step, failures kept with their reason,
the full report as CSV, a CRS prefilled for Lambert-93 layers without .prj, a stalled queue."""

import csv
import io
import json
import zipfile
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from shapely.geometry import Point

from geo.models import Asset, AssetCategory, ImportJob, Zone
from geo.services.imports import geodata_import
from tests.geo.geodata_files import FAR, feature, l93_point, point, write_layer

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")


def zipped_shapefile_without_prj(tmp_path: Path, points: list) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    write_layer(folder / "bancs.shp", [{"ref": f"r{i}"} for i in range(len(points))], points, 2154)
    (folder / "bancs.prj").unlink()
    archive = tmp_path / "bancs.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in folder.iterdir():
            out.write(part, part.name)
    return archive


def send(client, name: str, content: bytes, into: str = "assets") -> ImportJob:
    response = client.post("/geo/imports/", {"file": SimpleUploadedFile(name, content), "into": into})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("created_at")


def test_bare_array_preview_counts_outside_and_maps_categories(admin_client, community):
    # A bare JSON array of Features (what OpenDataSoft exports), one MultiPoint of one point,
    # one null geometry's neighbour outside the territory.
    features = [
        feature(point(0, 0), ref="1", type="Banc"),
        feature(point(50, 0), ref="2", type="Corbeille"),
        feature(
            {"type": "MultiPoint", "coordinates": [point(90, 0)["coordinates"]]}, ref="3", type="poubelle"
        ),
        feature(point(*FAR), ref="4", type="Corbeille"),
    ]
    job = send(admin_client, "equipements.json", json.dumps(features).encode())
    first = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    # The command's own check, before anything is written, in French and without its flags.
    assert "chaque entité a besoin d&#x27;une catégorie" in first and "--map" not in first
    page = admin_client.post(f"/geo/imports/{job.pk}/", {"step": "preview", "map_category": "type"})
    html = page.content.decode()
    assert page.status_code == 200, html
    assert "1 entité sur 4 est hors du territoire" in html, html
    assert 'data-category-value="Banc"' in html and 'data-category-value="Corbeille"' in html
    assert Asset.objects.count() == 0 and AssetCategory.objects.count() == 1  # the dry run wrote nothing
    rows = {"catval_0": "Corbeille", "catmap_0": "", "catval_1": "Banc", "catmap_1": "bench"}
    rows |= {"catval_2": "poubelle", "catmap_2": "bench"}
    confirm = admin_client.post(
        f"/geo/imports/{job.pk}/",
        {"step": "preview", "confirm": "1", "map_category": "type", "external_id": "ref", **rows},
    )
    assert confirm.status_code == 302
    job.refresh_from_db()
    assert job.status == "done", job.report
    assert (job.report["created"], job.report["skipped"]) == (3, 1)
    codes = sorted(Asset.objects.values_list("category__code", flat=True))
    assert codes == ["bench", "bench", "corbeille"]
    assert AssetCategory.objects.get(code="corbeille").name == "Corbeille"
    page = admin_client.get(f"/geo/imports/{job.pk}/job/").content.decode()
    assert "Catégories créées : corbeille (Corbeille)" in page


def test_report_downloads_as_csv_with_every_skipped_feature(admin_client, community):
    features = [feature(point(0, 0), ref="in")] + [feature(point(*FAR), ref=f"far{i}") for i in range(60)]
    job = send(
        admin_client,
        "bancs.geojson",
        json.dumps({"type": "FeatureCollection", "features": features}).encode(),
    )
    admin_client.post(
        f"/geo/imports/{job.pk}/",
        {"step": "preview", "confirm": "1", "category": "bench", "external_id": "ref"},
    )
    job.refresh_from_db()
    assert job.status == "done"
    page = admin_client.get(f"/geo/imports/{job.pk}/job/").content.decode()
    assert f"/geo/imports/{job.pk}/report.csv" in page
    response = admin_client.get(f"/geo/imports/{job.pk}/report.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "gravité"
    skipped = [r for r in rows[1:] if r[0] == "ignorée"]
    assert len(skipped) == 60  # all of them, not the first 50 lines
    assert {r[2] for r in skipped} == {f"far{i}" for i in range(60)}
    assert all(r[3] == "hors du territoire de la collectivité : non importée" for r in skipped)
    # The page lists the first 50 problems and points to the CSV for the rest.
    assert page.count('data-severity="skipped"') == 50 and "et 10 autres" in page


def test_unreadable_upload_is_marked_failed_in_french_without_a_path(admin_client, settings):
    job = send(admin_client, "casse.geojson", b"{not json")
    html = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == "failed"
    assert str(settings.MEDIA_ROOT) not in html and str(settings.MEDIA_ROOT) not in json.dumps(job.report)
    assert "casse.geojson" in job.report["lines"][0]
    assert "JSON valide" in html or "impossible de lire le fichier" in html, html
    listing = admin_client.get("/geo/imports/").content.decode()
    assert "Échec" in listing and "en attente de confirmation" not in listing
    assert (
        admin_client.get(f"/geo/imports/{job.pk}/report.csv")
        .content.decode("utf-8-sig")
        .count("casse.geojson")
        == 1
    )


def test_layer_without_prj_in_lambert93_gets_2154_prefilled(admin_client, community, tmp_path):
    archive = zipped_shapefile_without_prj(tmp_path, [l93_point(0, 0), l93_point(40, 0)])
    job = send(admin_client, "bancs.zip", archive.read_bytes())
    html = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    assert 'name="srid" id="id_srid" list="crs-choices" value="2154"' in html, html
    assert "EPSG:2154" in html and "Lambert-93" in html
    admin_client.post(
        f"/geo/imports/{job.pk}/", {"step": "preview", "confirm": "1", "category": "bench", "srid": "2154"}
    )
    job.refresh_from_db()
    assert job.status == "done", job.report
    assert job.report["created"] == 2


def test_layer_without_prj_outside_lambert93_asks_for_the_crs_in_french(admin_client, tmp_path):
    archive = zipped_shapefile_without_prj(tmp_path, [Point(5e6, 5e6)])  # no known range
    job = send(admin_client, "bizarre.zip", archive.read_bytes())
    html = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    assert "choisissez son code EPSG" in html and "--srid" not in html
    assert 'list="crs-choices" value=""' in html and '<option value="2154">' in html


def test_job_queued_for_over_30_s_says_no_worker_runs(admin_client, community):
    job = send(admin_client, "bancs.geojson", b"[]")
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    assert admin_client.get(f"/geo/imports/{job.pk}/status.json").json()["stalled"] is False
    old = ImportJob.objects.get(pk=job.pk).updated_at - timedelta(seconds=31)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=old)
    assert admin_client.get(f"/geo/imports/{job.pk}/status.json").json()["stalled"] is True
    html = admin_client.get(f"/geo/imports/{job.pk}/job/").content.decode()
    start = html.index('id="job-stalled"')
    assert "hidden" not in html[start : start + 60]
    assert "aucun" in html[start : start + 400].lower()


@pytest.mark.skipif(not (DATA / "districts").exists(), reason="shared real data not present")
def test_real_toulouse_districts_preview_counts_all_outside(admin_client, community):
    # Toulouse's districts against Poitiers' territory: the preview says so before any write.
    job = send(
        admin_client,
        "quartiers.geojson",
        (DATA / "districts/toulouse-quartiers.geojson").read_bytes(),
        "zones",
    )
    html = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    assert "20 entités sur 20 sont hors du territoire" in html, html
    assert Zone.objects.count() == 0


def test_preview_of_a_big_layer_says_the_import_counts_outside(admin_client, monkeypatch):
    monkeypatch.setattr("geo.services.import_jobs.PREVIEW_DRY_RUN_MAX", 1)
    features = [feature(point(0, 0)), feature(point(*FAR))]
    job = send(
        admin_client,
        "bancs.geojson",
        json.dumps({"type": "FeatureCollection", "features": features}).encode(),
    )
    html = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    assert 'id="preview-outside"' not in html
    assert "entités hors du territoire seront comptées par" in html


PARITY_FILES = {
    # A legacy `crs` member in Lambert-93, a null geometry, a MultiPoint of one point.
    "legacy-crs.geojson": {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"ref": "a"},
                "geometry": {"type": "Point", "coordinates": list(l93_point(0, 0).coords[0])},
            },
            {"type": "Feature", "properties": {"ref": "b"}, "geometry": None},
            {
                "type": "Feature",
                "properties": {"ref": "c"},
                "geometry": {"type": "MultiPoint", "coordinates": [list(l93_point(9, 9).coords[0])]},
            },
            {
                "type": "Feature",
                "properties": {"ref": "far"},
                "geometry": {"type": "Point", "coordinates": list(l93_point(*FAR).coords[0])},
            },
        ],
    },
}


@pytest.mark.parametrize("name", sorted(PARITY_FILES))
def test_the_web_job_ends_as_the_command_does(admin_client, community, tmp_path, name):
    content = json.dumps(PARITY_FILES[name]).encode()
    path = tmp_path / name
    path.write_bytes(content)
    command = geodata_import(
        community=community, path=path, into="assets", category="bench", external_id="ref", dry_run=True
    )
    job = send(admin_client, name, content)
    admin_client.post(
        f"/geo/imports/{job.pk}/",
        {"step": "preview", "confirm": "1", "category": "bench", "external_id": "ref"},
    )
    job.refresh_from_db()
    assert job.report["ok"] == command.ok
    web = [(p["index"], p["severity"], p["problem"]) for p in job.report["problems"]]
    assert web == [(p.index, p.severity, p.problem) for p in command.problems]
    # The null geometry and the far point are skipped; "a" and the one-point MultiPoint go in.
    assert job.report["skipped"] == command.skipped == 2 and job.report["crs"] == command.crs == "EPSG:2154"
    assert job.report["created"] == 2


def test_the_preview_notes_are_in_the_users_language(admin_client, community, tmp_path):
    """What the readers assumed about a file (a bare array, Latin-1 text, no CRS) is said in
    French on the preview, not in the command's English with its flags."""
    bare = send(admin_client, "equipements.json", json.dumps([feature(point(0, 0), ref="1")]).encode())
    html = admin_client.get(f"/geo/imports/{bare.pk}/").content.decode()
    assert "Un simple tableau JSON d’entités (sans FeatureCollection)" in html, html
    assert "bare JSON array" not in html

    lon, lat = point(0, 0)["coordinates"]
    latin1 = f"nom;lon;lat\nBanc de l'école;{lon};{lat}\n".encode("cp1252")
    job = send(admin_client, "bancs.csv", latin1)
    html = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    assert "bancs.csv n’est pas en UTF-8 : son texte a été lu en Latin-1" in html, html
    assert "is not UTF-8" not in html

    folder = tmp_path / "shp"
    folder.mkdir()
    write_layer(folder / "bancs.shp", [{"ref": "r1"}], [Point(lon, lat)], 4326)
    (folder / "bancs.prj").unlink()
    archive = tmp_path / "bancs.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in folder.iterdir():
            out.write(part, part.name)
    job = send(admin_client, "bancs.zip", archive.read_bytes())
    html = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    assert (
        "Aucun système de coordonnées dans le fichier : les coordonnées ont été lues comme longitude/latitude"
        in html
    ), html
    assert "no CRS in the file" not in html


@pytest.mark.parametrize(
    "language, expected, absent",
    [
        (
            "fr",
            [
                "identifiant externe déjà utilisé par l’objet n° 0",
                "pas de coordonnées lisibles dans les colonnes « lon »/« lat »",
            ],
            "external id already used",
        ),
        (
            "en",
            ["external id already used by feature #0", "no readable coordinates in columns 'lon'/'lat'"],
            "identifiant externe",
        ),
    ],
)
def test_each_features_problem_is_in_the_language_of_who_confirmed(
    admin_client, community, language, expected, absent
):
    """The job page and its CSV report say why each feature was refused in the user's language
    (the command keeps its English): the worker runs the import in the confirming user's language."""
    admin_client.cookies["django_language"] = language
    lon, lat = point(0, 0)["coordinates"]
    rows = f"ref;lon;lat\nb1;{lon};{lat}\nb1;{lon};{lat}\nb3;;\n"
    job = send(admin_client, "bancs.csv", rows.encode())
    admin_client.post(
        f"/geo/imports/{job.pk}/",
        {"step": "preview", "confirm": "1", "category": "bench", "external_id": "ref"},
    )
    job.refresh_from_db()
    assert job.status == "failed" and Asset.objects.filter(community=community).count() == 0
    page = unescape(admin_client.get(f"/geo/imports/{job.pk}/job/").content.decode())
    report = admin_client.get(f"/geo/imports/{job.pk}/report.csv").content.decode("utf-8-sig")
    for text in expected:
        assert text in page, page
        assert text in report, report
    assert absent not in page and absent not in report
    # The command's own wording is kept beside it (the parity with import_geodata).
    assert {p["problem"] for p in job.report["problems"]} >= {"external id already used by feature #0"}


@pytest.mark.parametrize("into", ["assets", "reports", "interventions"])
def test_the_mapping_step_names_every_field_in_french(admin_client, community, into):
    """The field mapping's labels are the models' names in the user's language: the category
    column's was the English field name ("Category") on a French page."""
    lon, lat = point(0, 0)["coordinates"]
    job = send(admin_client, "bancs.csv", f"ref;lon;lat\nB1;{lon};{lat}\n".encode(), into=into)
    html = admin_client.get(f"/geo/imports/{job.pk}/").content.decode()
    assert '<label for="id_map_category">Catégorie</label>' in html, html
    # The step that asks for a category names the field as the mapping shows it.
    assert "(« Catégorie »)" in html and "category »" not in html
