"""Browser, in French: upload a bare JSON array of Features, the preview counts the features
outside the territory and offers a category per value of the file, confirm, download the
full report as CSV."""

import json

import pytest

from accounts.models import Role
from geo.models import Asset
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD, AssetCategoryFactory, member
from tests.geo.geodata_files import FAR, feature, point

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_web_import_in_french_outside_count_category_mapping_report_csv(
    page, live_server, community, tmp_path
):
    AssetCategoryFactory(community=community, code="bench", name="Banc")
    admin = member(community, Role.ADMIN)
    features = [feature(point(i * 30, 0), ref=f"B{i}", type="Banc") for i in range(3)]
    features += [
        feature(point(0, 40), ref="C1", type="Corbeille"),
        feature(point(30, 40), ref="P1", type="poubelle"),
    ]
    features += [feature(point(*FAR), ref="LOIN", type="Corbeille")]
    path = tmp_path / "equipements.json"
    path.write_text(json.dumps(features), encoding="utf-8")  # a bare array, as OpenDataSoft exports

    login(page, live_server, admin.username, PASSWORD)
    page.goto(f"{live_server.url}/geo/imports/")
    page.locator("#id_file").set_input_files(str(path))
    page.locator("#id_into").select_option("assets")
    page.locator("#upload-submit").click()
    page.wait_for_selector("#preview-form")
    page.locator("#id_map_category").select_option("type")
    page.locator("#id_external_id").select_option("ref")
    page.locator("#preview-refresh").click()
    page.wait_for_selector("#category-mapping")
    outside = page.locator("#preview-outside").inner_text()
    assert "1 entité sur 6 est hors du territoire" in outside, outside
    rows = page.locator("#category-mapping tbody tr")
    assert rows.count() == 3
    assert page.locator("tr[data-category-value='Banc'] select").input_value() == "bench"
    assert page.locator("tr[data-category-value='Corbeille'] select").input_value() == ""
    page.locator("tr[data-category-value='poubelle'] select").select_option("bench")
    page.screenshot(path=tmp_path / "preview.png", full_page=True)
    assert_accessible(page)
    assert Asset.objects.count() == 0

    page.locator("#preview-confirm").click()
    page.wait_for_selector("#job-status[data-status=done]", timeout=30_000)
    page.screenshot(path=tmp_path / "job.png", full_page=True)
    assert_accessible(page)
    assert sorted(Asset.objects.values_list("category__code", flat=True)) == ["bench"] * 4 + ["corbeille"]
    with page.expect_download() as info:
        page.locator("#report-csv").click()
    text = info.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "gravité;entité;identifiant;problème"
    assert "ignorée;5;LOIN;" in text
