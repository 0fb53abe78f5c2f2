"""Browser: a community admin uploads a file, sees it on the preview map and in the table,
confirms, and watches the job finish. axe-core on each page."""

import pytest

from accounts.models import Role
from geo.models import Asset
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD, AssetCategoryFactory, member
from tests.geo.geodata_files import feature, point, write_geojson

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_preview_map_confirm_and_progress(page, live_server, community, tmp_path):
    AssetCategoryFactory(community=community, code="bench", name="Banc")
    admin = member(community, Role.ADMIN)
    path = write_geojson(
        tmp_path / "bancs.geojson",
        [feature(point(i * 30, i * 10), ref=f"B{i}", nom=f"Banc {i}") for i in range(5)],
    )
    login(page, live_server, admin.username, PASSWORD)
    page.goto(f"{live_server.url}/geo/imports/")
    assert_accessible(page)
    page.locator("#id_file").set_input_files(str(path))
    page.locator("#id_into").select_option("assets")
    page.locator("#upload-submit").click()

    page.wait_for_selector("#preview-map[data-ready=true]", timeout=30_000)
    assert page.locator("canvas.maplibregl-canvas").count() == 1
    assert page.locator("#preview-table tbody tr").count() == 5
    assert page.locator("[data-crs]").inner_text() == "EPSG:4326"
    assert page.locator("#id_map_name").input_value() == "nom"
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 740})
    assert_accessible(page)

    page.locator("#id_category").select_option("bench")
    page.locator("#id_external_id").select_option("ref")
    page.locator("#preview-confirm").click()
    page.wait_for_selector("#job-status[data-status=done]", timeout=30_000)
    progress = page.locator("#import-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max")
    assert_accessible(page)
    assert Asset.objects.filter(community=community).count() == 5
