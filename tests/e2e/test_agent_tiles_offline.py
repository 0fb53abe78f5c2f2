"""The mission map offline: its zone's tiles are saved when the mission is opened, then drawn
with the network cut, after the app was closed and reopened."""

import math
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.agent.conftest import make_field
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TILE = re.compile(r"/tiles/(\w+)/(\d+)/(\d+)/(\d+)\.mvt")


def tiles_for(bbox: list[float], z: int) -> set[tuple[int, int, int]]:
    """Slippy-map tiles (Web Mercator) covering a lon/lat box at zoom z."""
    minx, miny, maxx, maxy = bbox
    n = 2**z

    def tx(lon: float) -> int:
        return math.floor((lon + 180) / 360 * n)

    def ty(lat: float) -> int:
        r = math.radians(lat)
        return math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)

    return {(z, x, y) for x in range(tx(minx), tx(maxx) + 1) for y in range(ty(maxy), ty(miny) + 1)}


@pytest.fixture
def agent_page(browser, live_server, community):
    field = make_field(community, n_stops=3)
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 360, "height": 740}, service_workers="allow"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    login(page, live_server, field.agent.username, PASSWORD)
    page.goto(f"{live_server.url}/agent/")
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    yield page, context, field
    context.close()  # its last requests are waited for before the flush (tests/conftest.py)


def test_the_mission_zone_map_is_saved_then_drawn_offline(agent_page, live_server):
    page, context, field = agent_page
    base = live_server.url
    page.goto(f"{base}/agent/#/m/{field.mission.pk}")
    status = page.locator("#tile-status")
    page.locator("#tile-status[data-state='complete']").wait_for(timeout=90_000)
    done, total = int(status.get_attribute("data-done") or 0), int(status.get_attribute("data-total") or 0)
    assert total > 0 and done == total
    # The agent reads it: "Carte enregistrée pour le hors-ligne : 140/140 tuiles".
    assert re.search(rf"{total}\s*/\s*{total}", status.inner_text().replace("\u202f", ""))

    # Every tile of every one of our sources, z12–18, inside the mission's bbox is in CacheStorage.
    mission = page.evaluate(
        "(u) => fetch(u, {credentials: 'same-origin'}).then(r => r.json())",
        f"{base}/agent/api/missions/{field.mission.pk}/",
    )
    style = page.evaluate("(u) => fetch(u).then(r => r.json())", f"{base}/tiles/style.json")
    expected = set()
    for source in style["sources"].values():
        for template in source.get("tiles", []):
            layer = TILE.search(template.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
            if layer is None:
                continue
            for z in range(max(12, source.get("minzoom", 0)), min(18, source.get("maxzoom", 22)) + 1):
                expected |= {(layer.group(1), *t) for t in tiles_for(mission["bbox"], z)}
    cached_urls = page.evaluate(
        "() => caches.open('ronde-tiles').then(c => c.keys()).then(ks => ks.map(k => k.url))"
    )
    cached = {(m.group(1), *map(int, m.groups()[1:])) for u in cached_urls if (m := TILE.search(u))}
    assert len(expected) == total
    assert expected <= cached
    assert_accessible(page)  # with the status line (axe-core is loaded from the server: online)

    # Network cut, app closed and reopened: the map of the mission draws from the saved tiles.
    # The browser's HTTP cache is emptied first, as it is on a phone hours later (it keeps a
    # static file only a tenth of its age): offline, everything must come from the service
    # worker. MapLibre's worker script once came from that cache only, so this test failed in
    # fresh checkouts (young files) and passed in old ones.
    context.new_cdp_session(page).send("Network.clearBrowserCache")
    context.set_offline(True)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url) if "/tiles/" in r.url else None)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.reload()
    page.locator("#app[data-ready='true']").wait_for()
    map_box = page.locator("#mission-map[data-idle='true']")
    try:
        map_box.wait_for(timeout=60_000)
    except PlaywrightTimeoutError:
        pytest.fail(f"the offline map never settled; browser errors: {errors}")
    assert int(map_box.get_attribute("data-tile-loads") or 0) > 0
    assert map_box.get_attribute("data-tile-errors") == "0"
    assert failed == []
    # What was saved is still said.
    assert page.locator("#tile-status").get_attribute("data-state") == "complete"


def test_the_outbox_summary_uses_french_plurals(agent_page, live_server):
    page, context, field = agent_page
    context.set_offline(True)
    # Two interventions and one photo waiting, written straight into the outbox store.
    page.evaluate(
        """async () => {
          const outbox = await import('/static/agent/outbox.js');
          await outbox.queueIntervention('00000000-0000-4000-8000-000000000001', {status: 'done'});
          await outbox.queueIntervention('00000000-0000-4000-8000-000000000002', {status: 'done'});
          await outbox.queuePhoto('00000000-0000-4000-8000-000000000003', {kind: 'before'}, new Blob(['x']));
        }"""
    )
    page.reload()
    page.locator("#app[data-ready='true']").wait_for()
    summary = page.locator("#outbox-summary")
    page.wait_for_function("() => document.querySelector('#outbox-summary').dataset.interventions === '2'")
    assert summary.inner_text() == "2 interventions, 1 photo en attente"
