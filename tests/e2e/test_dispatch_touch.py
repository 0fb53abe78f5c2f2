"""A dispatcher on a tablet draws and edits the mission zone with a finger.

Real touch input: the context has touch enabled, taps go through page.touchscreen and drags
through the DevTools protocol's Input.dispatchTouchEvent (the browser turns both into pointer
events of pointerType "touch", as for a finger on a screen).
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e import test_dispatch
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_dispatch import open_board, screen
from tests.factories import MissionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

city = test_dispatch.city  # the same street grid, team, jobs and dispatcher (a fixture)


@pytest.fixture
def context(browser):
    # A landscape tablet: touch screen, no mouse hover.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1024, "height": 768}, has_touch=True)
    yield context
    context.close()  # its last requests are waited for before the flush (tests/conftest.py)


class Finger:
    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def _send(self, kind: str, points: list[tuple[float, float]]) -> None:
        self.cdp.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [{"x": x, "y": y, "radiusX": 8, "radiusY": 8} for x, y in points]},
        )

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
        self._send("touchStart", [start])
        for i in range(1, steps + 1):
            t = i / steps
            self._send(
                "touchMove", [(start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)]
            )
        self._send("touchEnd", [])

    def tap(self, point: tuple[float, float]) -> None:
        self.page.touchscreen.tap(*point)
        self.page.wait_for_timeout(450)  # slower than a double tap: each tap is one corner


def view(page) -> dict:
    """Where the page and the map are: drawing must move neither."""
    return page.evaluate(
        "() => { const m = window.rondeDispatch.map; const c = m.getCenter(); return "
        "{scroll: window.scrollY, scale: window.visualViewport.scale, "
        "lng: c.lng.toFixed(7), lat: c.lat.toFixed(7), zoom: m.getZoom().toFixed(4)}; }"
    )


def preview_keys(page) -> set[str]:
    return {li.get_attribute("data-key") for li in page.locator("#preview-list li").all()}


def test_tablet_draws_a_polygon_and_a_rectangle_and_drags_a_corner_by_touch(page, live_server, city):
    team, inside, outside, user = city
    open_board(page, live_server, user)
    finger = Finger(page)
    before = view(page)

    # Polygon: one tap per corner, then a tap on the first corner closes it.
    page.locator("#draw-polygon").tap()
    expect(page.locator("#dispatch-map")).to_have_attribute("data-draw-mode", "polygon")
    corners = [screen(page, x, y) for x, y in [(-30, -30), (380, -30), (380, 380), (-30, 380)]]
    for corner in corners:
        finger.tap(corner)
    expect(page.locator("#draw-finish")).to_be_enabled()
    finger.tap((corners[0][0] + 3, corners[0][1] - 3))  # a finger is not a mouse pointer
    expect(page.locator("#preview-list li")).to_have_count(4)
    assert preview_keys(page) == {f"r{r.pk}" for r in inside}
    expect(page.locator("#dispatch-map")).to_have_attribute("data-draw-mode", "idle")
    assert view(page) == before, "the page or the map moved while a finger drew"
    # The 44 px handles are shown for a finger.
    assert (
        page.evaluate("window.rondeDispatch.map.getLayoutProperty('draw-handle', 'visibility')") == "visible"
    )
    assert page.evaluate("window.rondeDispatch.map.getPaintProperty('draw-handle', 'circle-radius')") >= 22

    # Edit: drag the north-east corner out to the fifth job, the finger landing 14 px off the
    # corner (inside its 44 px handle). The map must not pan under the finger.
    ne = screen(page, 380, 380)
    finger.drag((ne[0] + 10, ne[1] + 10), screen(page, 740, 700))
    expect(page.locator("#preview-list li")).to_have_count(5)
    assert f"r{outside.pk}" in preview_keys(page)
    assert view(page) == before

    # Rectangle: press and drag with a finger around the two south-west jobs only.
    page.locator("#draw-rectangle").tap()
    finger.drag(screen(page, -30, -30), screen(page, 200, 250))
    expect(page.locator("#preview-list li")).to_have_count(2)
    assert preview_keys(page) == {f"r{inside[0].pk}", f"r{inside[1].pk}"}
    assert view(page) == before

    # Outside drawing, a finger pans the map as usual.
    finger.drag(screen(page, 100, 100), screen(page, 300, 100))
    assert view(page)["lng"] != before["lng"]
    assert_accessible(page)


def test_a_polygon_begun_by_touch_is_finished_from_the_panel_with_the_keyboard(
    page, live_server, community, city
):
    team, inside, outside, user = city
    booked = MissionFactory(community=community, team=team, date=timezone.localdate())
    open_board(page, live_server, user)
    finger = Finger(page)

    page.locator("#draw-polygon").tap()
    for x, y in [(-30, -30), (200, -30), (200, 250), (-30, 250), (-60, 100)]:
        finger.tap(screen(page, x, y))
    page.locator("#draw-undo").focus()
    page.keyboard.press("Enter")  # drops the stray fifth corner
    page.locator("#draw-finish").focus()
    page.keyboard.press("Enter")

    expect(page.locator("#preview-list li")).to_have_count(2)
    assert preview_keys(page) == {f"r{inside[0].pk}", f"r{inside[1].pk}"}
    expect(page.locator("#polygon-tools")).to_be_hidden()
    # The team already has a round today: said before the mission is created.
    warning = page.locator("#preview-warnings li[data-kind=team_booked]")
    expect(warning).to_have_count(1)
    assert str(booked.pk) in warning.text_content()
    zone = page.evaluate("window.rondeDispatch.zone")
    assert len(zone["coordinates"][0]) == 5  # four corners and the closing point
