""" "Go there" inside the app: the walking route on the mission map, from the streets shipped
with the mission, with the network off (#18)."""

import tempfile
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point

from tests.agent.conftest import make_field
from tests.e2e.conftest import login
from tests.e2e.test_agent_resume import phone
from tests.factories import PASSWORD, CommunityFactory
from tests.geo.routing_grids import at, grid
from tests.live_server_idle import wait_for_server_idle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def plain(text: str) -> str:
    """French numbers and units are separated by (narrow) no-break spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def lonlat(dx: float, dy: float) -> dict:
    p = Point(*at(dx, dy), srid=2154)
    p.transform(4326)
    return {"longitude": p.x, "latitude": p.y}


def test_go_there_draws_the_walk_along_the_streets_offline(browser, live_server, community):
    field = make_field(community, n_stops=2)  # stops on the grid's south street, 0 and 40 m east
    grid(community, n=6, step=100.0)
    grid(CommunityFactory(), n=2, step=100.0)  # another town's streets: never shipped
    # At a crossing two blocks north-east of stop 1.
    context = phone(browser, geolocation=lonlat(200, 200))
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        login(page, live_server, field.agent.username, PASSWORD)
        page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}")
        page.locator("#stops li").first.wait_for()
        # Along the streets: 200 m west + 200 m south = 400 m (straight: 283 m).
        page.wait_for_function(
            "() => /à pied/.test(document.querySelector('#stops li .distance').textContent)"
        )
        assert "400 m à pied" in plain(page.locator("#stops li .distance").first.inner_text())
        # As an agent does before leaving the network: the mission's map is saved for offline
        # use (the style, its sprites and tiles). Going offline while it is still saving left
        # the map without its style, never drawn (a flaky test: 2 runs in 5).
        page.locator("#tile-status[data-state='complete']").wait_for(timeout=90_000)

        context.set_offline(True)
        page.locator("#stops li").first.locator("a[data-go='app']").tap()
        status = page.locator("#walk-status[data-state='route']")
        status.wait_for()
        assert "400 m" in plain(status.inner_text()) and "Itinéraire à pied" in status.inner_text()
        assert int(page.locator("#mission-map").get_attribute("data-walk-points")) >= 4
        page.locator("#mission-map[data-idle='true']").wait_for()
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "agent-walk.png"))
        # The geo: link stays for the phone's own navigation app.
        geo = page.locator("#stops li").first.locator("a[data-go='geo']").get_attribute("href")
        assert geo.startswith("geo:46.")
    finally:
        context.close()
        wait_for_server_idle()
