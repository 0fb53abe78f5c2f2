import pytest

from accounts.models import Role
from tests.e2e.conftest import assert_accessible, login
from tests.factories import (
    PASSWORD,
    InterventionFactory,
    ReportFactory,
    StreetSegmentFactory,
    ZoneFactory,
    member,
)
from tests.tiles.helpers import at

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_map_loads_tiles_toggles_a_layer_by_keyboard_and_is_accessible(page, live_server, community):
    ZoneFactory(community=community)
    StreetSegmentFactory(community=community)
    for i in range(5):
        InterventionFactory(community=community, geom=at(i * 40, 0))
    ReportFactory(community=community, geom=at(0, 60))
    user = member(community, Role.AGENT)
    tile_statuses: list[int] = []
    page.on("response", lambda r: tile_statuses.append(r.status) if ".mvt" in r.url else None)

    login(page, live_server, user.username, PASSWORD)
    page.locator('nav a[href="/map/"]').click()
    page.wait_for_selector("#map[data-state=idle]", timeout=30_000)

    assert tile_statuses and all(s in (200, 204, 304) for s in tile_statuses)
    assert 200 in tile_statuses
    assert page.locator("canvas.maplibregl-canvas").count() == 1
    # The map's own buttons speak the page's language (French by default), not MapLibre's English.
    assert page.locator(".maplibregl-ctrl-zoom-in").get_attribute("aria-label") == "Zoom avant"
    # The list alternative shows what is drawn: 5 interventions in view.
    assert page.locator('[data-count-for="interventions"]').inner_text().strip() == "5"
    assert "interventions" in page.locator("#map").get_attribute("data-visible-layers").split()

    checkbox = page.locator("#layer-interventions")
    checkbox.focus()
    page.keyboard.press("Space")
    assert not checkbox.is_checked()
    page.wait_for_selector("#map[data-state=idle]")
    assert "interventions" not in page.locator("#map").get_attribute("data-visible-layers").split()
    assert page.locator('[data-count-for="interventions"]').inner_text().strip() != "5"

    assert_accessible(page)


def test_map_fits_a_phone(page, live_server, community):
    user = member(community, Role.VIEWER)
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-state=idle]", timeout=30_000)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    assert_accessible(page)


def test_maps_credit_openstreetmap_when_the_streets_come_from_it(browser, live_server, community, tmp_path):
    """ODbL: the map page and the agent's mission map show "© OpenStreetMap contributors"
    (MapLibre's attribution control, from the style's sources) when the streets are OSM's."""
    from tests.agent.conftest import make_field

    StreetSegmentFactory(community=community, external_id="osm:way/4242")
    field = make_field(community, n_stops=2)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(30_000)
    login(page, live_server, field.agent.username, PASSWORD)
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-state=idle]", timeout=30_000)
    credit = page.locator("#map .maplibregl-ctrl-attrib a[href='https://www.openstreetmap.org/copyright']")
    assert credit.inner_text() == "© OpenStreetMap contributors"
    page.screenshot(path=tmp_path / "map-attribution.png")
    page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}")
    page.locator("#mission-map[data-idle='true']").wait_for(timeout=60_000)
    agent_credit = page.locator("#mission-map .maplibregl-ctrl-attrib-inner")
    assert "© OpenStreetMap contributors" in agent_credit.inner_text()
    page.locator("#mission-map").screenshot(path=tmp_path / "agent-map-attribution.png")
    # Compact (a phone): shown at first, then folded behind its ⓘ button, which unfolds it.
    button = page.locator("#mission-map .maplibregl-ctrl-attrib-button")
    if not agent_credit.is_visible():
        button.click()
    assert agent_credit.is_visible()
    context.close()
