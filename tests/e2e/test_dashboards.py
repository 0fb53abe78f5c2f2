"""The officials' dashboard in a real browser: map, popups, accessibility, no external loads."""

from urllib.parse import urlparse

import pytest
from django.contrib.gis.geos import MultiPolygon

from accounts.models import Role
from tests.dashboards.helpers import make_history
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD, POITIERS, ZoneFactory, member, square

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(community):
    return make_history(community)


JANUARY = "?period=month&date_from=2025-01-01"


def _watch_requests(page, live_server):
    origin = urlparse(live_server.url).netloc
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if urlparse(r.url).netloc not in ("", origin) and not r.url.startswith("data:")
            else None
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A script or style the Content-Security-Policy blocks shows up as a console error.
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return outside, errors


def test_viewer_reads_the_dashboard(page, live_server, community, history):
    ZoneFactory(
        community=community, name="Centre", geom=MultiPolygon(square(POITIERS[0] + 50, POITIERS[1], 300))
    )
    user = member(community, Role.VIEWER)
    outside, errors = _watch_requests(page, live_server)
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/{JANUARY}")
    page.wait_for_load_state("networkidle")
    assert page.locator('[data-kpi="cleanings"] .kpi-value').inner_text().strip() == "4"
    assert page.locator(".leaflet-container").is_visible()
    assert page.locator("img.leaflet-tile[src*='/tiles/heatmap/']").count() > 0
    assert page.locator("#districts-table tbody tr").count() == 1
    # A recurrent site's history opens on click (the biggest circle is site A).
    page.locator("path.leaflet-interactive[fill='#7a0177']").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("table tr").count() >= 2
    page.keyboard.press("Escape")
    assert_accessible(page)
    assert outside == [], outside
    assert errors == [], errors


def test_dashboard_at_phone_width(browser, live_server, community, history):
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    page = context.new_page()
    user = member(community, Role.VIEWER)
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/{JANUARY}")
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    page.locator("#f-period").select_option("year")
    page.locator("#dash-filters button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "period=year" in page.url
    assert_accessible(page)
    context.close()


def test_public_link_in_a_fresh_browser(browser, page, live_server, community, history):
    admin = member(community, Role.ADMIN)
    login(page, live_server, admin.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/{JANUARY}")
    page.locator("#share-create").click()
    url = page.locator("#share-url").input_value()
    assert "date_from=2025-01-01" in url  # the link opens on what was on screen
    anonymous = browser.new_context(locale="en-GB")
    public = anonymous.new_page()
    outside, errors = _watch_requests(public, live_server)
    public.goto(url)
    public.wait_for_load_state("networkidle")
    assert public.locator('[data-kpi="cleanings"] .kpi-value').inner_text().strip() == "4"
    assert public.locator("#f-team").count() == 0
    assert_accessible(public)
    assert outside == [] and errors == []
    anonymous.close()
