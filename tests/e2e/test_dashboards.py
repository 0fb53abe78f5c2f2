"""The officials' dashboard in a real browser: map, popups, accessibility, no external loads."""

import tempfile
from pathlib import Path
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
SHOTS = Path(tempfile.gettempdir())  # screenshots to look at


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


FEBRUARY = "?period=month&date_from=2025-02-01"


def _kpi(page, period: str, key: str) -> str:
    return (
        page.locator(f'.compare-col[data-period="{period}"] [data-kpi="{key}"] .kpi-value')
        .inner_text()
        .strip()
    )


def test_official_compares_two_periods_side_by_side(page, live_server, community, history):
    """#18: the official opens February, asks for the previous month with the keyboard, and
    reads both periods' figures and maps side by side, the difference, French decimal commas
    and the recurrent sites named by their address; the share link reopens the same two
    periods; at phone width the columns stack."""
    from geo.services.addresses import addresses_backfill
    from tests.factories import AddressFactory, StreetSegmentFactory

    StreetSegmentFactory(community=community, name="Rue des Arènes")
    AddressFactory(
        community=community, number=14, street="Rue des Arènes", geom=history["a"].geom.point_on_surface
    )
    addresses_backfill(community=community)
    admin = member(community, Role.ADMIN)
    outside, errors = _watch_requests(page, live_server)
    login(page, live_server, admin.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/{JANUARY}")
    page.wait_for_load_state("networkidle")
    # French decimals, and the recurrent site named by its address.
    assert page.locator('[data-kpi="retag"] .kpi-value').inner_text().strip() == "20,0 j"
    assert page.locator(f'#sites-table tr[data-site="{history["a"].pk}"] th').inner_text() == (
        "14 Rue des Arènes (mur)"
    )
    page.screenshot(path=SHOTS / "dashboard-single.png", full_page=True)

    # Keyboard only: period A = February, compare with the previous period.
    page.locator("#f-from").fill("2025-02-01")
    page.locator("#f-compare").focus()
    page.locator("#f-compare").select_option("previous")
    for _ in range(10):  # past period B's two dates (a tab stop per day, month, year) to "Afficher"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Afficher":
            break
    assert page.evaluate("document.activeElement.textContent.trim()") == "Afficher"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "compare=previous" in page.url and "date_from=2025-02-01" in page.url
    assert page.locator("#compare-a-title").inner_text() == "Période A : 01/02/2025 au 28/02/2025"
    assert page.locator("#compare-b-title").inner_text() == "Période B : 01/01/2025 au 31/01/2025"
    assert _kpi(page, "a", "cleanings") == "1" and _kpi(page, "b", "cleanings") == "4"
    assert _kpi(page, "b", "retag") == "20,0 j"
    row = page.locator('#compare-table tr[data-kpi="cleanings"] td')
    assert [t.replace("\xa0", " ") for t in row.all_inner_texts()] == ["1", "4", "−3 (−75 %)"]
    # Two maps, each with its own period's heatmap, side by side on a desktop screen.
    maps = page.locator(".compare-map .leaflet-container")
    assert maps.count() == 2
    page.wait_for_function(
        "document.querySelectorAll(\".compare-map img.leaflet-tile[src*='/tiles/heatmap/']\").length > 1"
    )
    a_box, b_box = (maps.nth(i).bounding_box() for i in range(2))
    assert b_box["x"] > a_box["x"] + a_box["width"] - 1 and abs(a_box["y"] - b_box["y"]) < 2
    a_tiles = page.locator(".compare-col[data-period='a'] img.leaflet-tile").first.get_attribute("src")
    b_tiles = page.locator(".compare-col[data-period='b'] img.leaflet-tile").first.get_attribute("src")
    assert "date_from=2025-02-01" in a_tiles and "date_from=2025-01-01" in b_tiles
    # Both maps sit on the same base map streets (carried once in the page).
    for period in "ab":
        assert page.locator(f".compare-col[data-period='{period}'] path[stroke='#8b8f97']").count() >= 1
    # The maps move together.
    page.locator(".compare-col[data-period='a'] .leaflet-control-zoom-in").click()
    page.wait_for_timeout(600)
    zooms = page.evaluate(
        "[...document.querySelectorAll('.compare-map .folium-map')].map((n) => window[n.id].getZoom())"
    )
    assert zooms[0] == zooms[1]
    page.screenshot(path=SHOTS / "dashboard-compare.png", full_page=True)
    assert_accessible(page)

    # A bad period B: the error in French next to its field, period A still shown.
    page.locator("#f-compare").select_option("custom")
    page.locator("#f-compare-from").fill("2025-03-01")
    page.locator("#f-compare-to").fill("2025-02-01")
    with page.expect_navigation():
        page.locator("#dash-filters button[type=submit]").click()
    error = page.locator("#f-compare-to-error")
    assert error.inner_text() == "La fin de la période B est avant son début."
    assert page.locator("#f-compare-to").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "f-compare-to"  # the keyboard is there
    assert "f-compare-to-error" in page.locator("#f-compare-to").get_attribute("aria-describedby")
    assert page.locator('[data-kpi="cleanings"] .kpi-value').inner_text().strip() == "1"
    page.screenshot(path=SHOTS / "dashboard-error.png", full_page=False)
    assert_accessible(page)

    # Share exactly what is on screen: February against January.
    page.goto(f"{live_server.url}/dashboards/{FEBRUARY}&compare=previous")
    page.locator("#share-create").click()
    url = page.locator("#share-url").input_value()
    assert "compare=previous" in url and "date_from=2025-02-01" in url
    assert outside == [] and errors == [], (outside, errors)

    # A stranger on a phone: the same two periods, stacked.
    phone = page.context.browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    public = phone.new_page()
    public.goto(url)
    public.wait_for_load_state("networkidle")
    assert _kpi(public, "a", "cleanings") == "1" and _kpi(public, "b", "cleanings") == "4"
    a_box, b_box = (public.locator(".compare-map").nth(i).bounding_box() for i in range(2))
    assert b_box["y"] > a_box["y"] + a_box["height"] - 1  # below, not beside
    overflow = public.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    public.screenshot(path=SHOTS / "dashboard-phone.png", full_page=True)
    assert_accessible(public)
    phone.close()


def test_english_reader_sees_decimal_points(browser, live_server, community, history):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    user = member(community, Role.VIEWER)
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/{FEBRUARY}&compare=previous")
    page.wait_for_load_state("networkidle")
    assert page.locator("#compare-title").inner_text() == "Two periods side by side"
    assert _kpi(page, "b", "retag") == "20.0 d"
    cells = page.locator('#compare-table tr[data-kpi="cleanings"] td').all_inner_texts()
    assert [t.replace("\xa0", " ") for t in cells] == ["1", "4", "−3 (−75 %)"]
    context.close()
