"""OGC API – Features HTML pages: reachable by keyboard links, 360 px wide, axe-core clean."""

import pytest
from django.contrib.gis.geos import Point

from accounts.models import Role
from tests.factories import PASSWORD, POITIERS, AssetFactory, member

from .conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_ogc_pages_are_accessible_and_page_through(page, live_server, community):
    for i in range(7):
        AssetFactory(community=community, geom=Point(POITIERS[0] + i * 10, POITIERS[1], srid=2154))
    user = member(community, Role.VIEWER)
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, live_server, user.username, PASSWORD)

    page.goto(f"{live_server.url}/ogc/")
    assert_accessible(page)
    page.locator("#ogc-collections").click()
    page.wait_for_selector("#ogc-collections-table")
    assert_accessible(page)
    page.locator("[data-collection=assets-points] a").click()
    page.wait_for_selector("#ogc-items")
    assert_accessible(page)
    page.goto(f"{live_server.url}/ogc/collections/assets-points/items?f=html&limit=5")
    assert page.locator("[data-feature]").count() == 5
    assert_accessible(page)
    page.locator("a[rel=next]").first.click()
    page.wait_for_load_state()
    assert page.locator("[data-feature]").count() == 2
    page.locator("[data-feature] a").first.click()
    page.wait_for_selector("#ogc-item-table")
    assert_accessible(page)
    for path in ("/ogc/conformance?f=html", "/ogc/api?f=html"):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
