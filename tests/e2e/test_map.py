import pytest
from playwright.sync_api import expect

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


def _click_on(page, point) -> None:
    """Centre the map on `point` at street zoom, then click it where it is drawn."""
    wgs = point.transform(4326, clone=True)
    page.evaluate(
        "([lon, lat]) => document.getElementById('map').maplibreMap.jumpTo({center: [lon, lat], zoom: 18})",
        [wgs.x, wgs.y],
    )
    page.wait_for_selector("#map[data-state=idle]")
    page.wait_for_timeout(300)
    xy = page.evaluate(
        "([lon, lat]) => document.getElementById('map').maplibreMap.project([lon, lat])", [wgs.x, wgs.y]
    )
    page.locator("canvas.maplibregl-canvas").click(position={"x": xy["x"], "y": xy["y"]})


def test_a_click_opens_details_and_history_the_list_is_a_table(page, live_server, community):
    """#18: a click on an asset shows its details and the work done there (French labels); assets
    and done interventions are not the same colour in the legend; "Liste" is an HTML table."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from geo.models import AssetKind, Support
    from interventions.models import InterventionStatus
    from tests.factories import AssetCategoryFactory, AssetFactory

    category = AssetCategoryFactory(community=community, kind=AssetKind.SURFACE, name="Façades")
    door = AssetFactory(
        community=community, category=category, support=Support.DOOR, name="Porte 8400", geom=at(200, 200)
    )
    InterventionFactory(
        community=community,
        asset=door,
        geom=at(900, 900),  # drawn elsewhere: the click hits the asset, not its intervention
        status=InterventionStatus.DONE,
        method="washing",
        surface_m2=Decimal("2.50"),
        started_at=timezone.now() - dt.timedelta(days=3, minutes=30),
        ended_at=timezone.now() - dt.timedelta(days=3),
    )
    user = member(community, Role.DISPATCHER)
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-state=idle]", timeout=30_000)

    # The legend: assets neither in the green nor in the shape of done interventions.
    asset = page.locator('#layer-switcher [data-legend="asset"] svg path').nth(1)
    done = page.locator('#layer-switcher [data-legend="done"] svg path').nth(1)
    assert asset.get_attribute("fill") != done.get_attribute("fill")
    assert asset.get_attribute("d") != done.get_attribute("d")
    expect(page.locator('#layer-switcher [data-legend="done"]')).to_have_text("Intervention faite")

    _click_on(page, door.geom)
    details = page.locator('#feature-body .feature-details[data-layer="assets"]')
    details.wait_for(timeout=10_000)
    assert details.locator("h3").inner_text() == "Porte 8400"
    text = details.inner_text()
    assert "Porte" in text and "Façades" in text and "door" not in text
    history = details.locator("table.feature-history tbody tr")
    assert history.count() == 1 and "Nettoyage" in history.inner_text() and "Fait" in history.inner_text()
    assert page.evaluate("document.activeElement.id") == "feature-heading"
    assert_accessible(page)

    # The list alternative: a table of the assets in view, in French, not JSON.
    page.locator('a[data-api-for="assets"]').click()
    page.wait_for_selector("#feature-list")
    assert page.locator("#feature-list thead th").first.inner_text() == "Nom"
    assert page.locator("#feature-list tbody th[scope=row]").first.inner_text() == "Porte 8400"
    assert_accessible(page)
    page.locator("#feature-list a").first.click()
    assert page.locator("table.feature-history tbody tr").count() == 1


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
