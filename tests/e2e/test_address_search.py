"""The search box on /map/ and /dispatch/: typed with a typo, chosen by keyboard, the map
goes there; accessible (axe), at desktop and phone size. Screenshots in /tmp."""

import tempfile
from pathlib import Path

import pytest

from accounts.models import Role
from geo.services.addresses import street_names_refresh
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD, AddressFactory, member
from tests.tiles.helpers import at

SHOTS = Path(tempfile.gettempdir())
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def add_addresses(community, dy: float = 300):
    for number, dx in ((3, 0), (5, 20), (12, 40)):
        AddressFactory(community=community, number=number, street="Rue de l'Hôtel de Ville", geom=at(dx, dy))
    street_names_refresh(community=community)


def search_and_pick(page, text: str) -> None:
    box = page.get_by_role("combobox", name="Trouver une adresse ou une voie")
    box.fill(text)
    page.wait_for_selector("#address-search-list li[role=option]")
    assert box.get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    assert page.locator("#address-search-option-0").get_attribute("aria-selected") == "true"
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=SHOTS / f"address-search-open-{width}.png")
    assert box.get_attribute("aria-activedescendant") == "address-search-option-0"
    page.keyboard.press("Enter")
    assert box.input_value() == "12 Rue de l'Hôtel de Ville"
    assert box.get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_map_search_finds_a_typo_and_zooms_there(page, live_server, community, size):
    add_addresses(community)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(page, live_server, member(community, Role.AGENT).username, PASSWORD)
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-state=idle]", timeout=30_000)
    search_and_pick(page, "12 rue de l hotel de vile")  # no accent, a typo
    page.wait_for_selector("#map[data-place]")
    target = at(40, 300).transform(4326, clone=True)
    lon, lat = (float(v) for v in page.locator("#map").get_attribute("data-place").split(","))
    assert abs(lon - target.x) < 1e-5 and abs(lat - target.y) < 1e-5
    page.wait_for_timeout(1500)  # the flight
    page.screenshot(path=SHOTS / f"address-search-map-{size[0]}.png")
    assert_accessible(page)


def test_dispatch_search_zooms_the_board_map(page, live_server, community):
    add_addresses(community)
    login(page, live_server, member(community, Role.DISPATCHER).username, PASSWORD)
    page.goto(f"{live_server.url}/dispatch/")
    page.wait_for_selector("#dispatch-map[data-state=idle]", timeout=30_000)
    box = page.get_by_role("combobox", name="Trouver une adresse ou une voie")
    box.fill("hotel de ville")
    page.wait_for_selector("#address-search-list li[role=option]")
    assert "voie" in page.locator("#address-search-option-0").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_selector("#dispatch-map[data-place]")
    page.wait_for_timeout(2000)  # the flight
    assert page.evaluate("() => window.rondeDispatch.map.getZoom()") > 15.5
    page.screenshot(path=SHOTS / "address-search-dispatch.png")


def test_field_app_stop_shows_its_address_and_search_marks_the_mission_map(browser, live_server, community):
    from tests.agent.conftest import make_field

    add_addresses(community, dy=5)  # before the work: each stop gets its address on write
    field = make_field(community, n_stops=2)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        login(page, live_server, field.agent.username, PASSWORD)
        page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}")
        first = page.locator("#stops li").first
        first.wait_for()
        assert "3 Rue de l'Hôtel de Ville" in first.inner_text()
        page.wait_for_selector("#mission-map[data-idle]", timeout=30_000)
        first.locator("a.stop-open").click()
        page.locator("#btn-start").wait_for()  # the stop screen has replaced the mission's
        assert "3 Rue de l'Hôtel de Ville" in page.get_by_role("heading", level=1).inner_text()
        page.go_back()
        page.wait_for_selector("#mission-map[data-idle]", timeout=30_000)
        page.locator(".agent-search summary").click()  # folded under the header on a phone
        search_and_pick(page, "12 rue hotel de ville")
        page.wait_for_selector("#mission-map[data-place]")
        page.wait_for_timeout(1500)  # the flight
        page.screenshot(path=SHOTS / "address-search-agent.png", full_page=True)
        assert_accessible(page)
    finally:
        context.close()
