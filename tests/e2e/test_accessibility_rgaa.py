"""RGAA checks that axe-core cannot make: run in a real browser over the pages people use.

- every aria-describedby points to an element that exists (RGAA 11.10);
- after a failed submit the focus is on the first field in error, never on <body> (RGAA 7.5, 12.8);
- the focused map shows a ring of at least 3:1 against what was there before (RGAA 10.7, 3.3);
- the agent's targets are at least 44 x 44 px on a 390 x 844 phone (WCAG 2.5.5);
- going offline is said in a status live region (RGAA 7.5);
- the language options are named in their own language, with `lang` (RGAA 8.7).
"""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from accounts.models import Role
from tests.agent.conftest import make_field
from tests.dashboards.helpers import make_history
from tests.e2e import test_dispatch
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

city = test_dispatch.city  # a street grid, a team, jobs and a dispatcher (a fixture)

# The pages of the axe-core tests, as the people who use them.
DISPATCHER_PAGES = ["/", "/map/", "/dispatch/", "/dispatch/templates/", "/dispatch/templates/new/"]
ADMIN_PAGES = ["/geo/imports/", "/geo/exports/", "/accessibilite/"]

MISSING_DESCRIBEDBY = """() => [...document.querySelectorAll('[aria-describedby]')].flatMap((el) =>
  el.getAttribute('aria-describedby').split(/\\s+/).filter((id) => id && !document.getElementById(id))
    .map((id) => `${el.id || el.tagName}: #${id}`))"""


def missing_describedby(page) -> list[str]:
    return page.evaluate(MISSING_DESCRIBEDBY)


def focused(page) -> str:
    return page.evaluate("() => document.activeElement.id || document.activeElement.tagName")


def test_help_and_errors_are_tied_to_their_fields_and_get_the_focus(page, live_server, community, city):
    _team, _inside, _outside, dispatcher = city
    admin = member(community, Role.ADMIN)
    login(page, live_server, dispatcher.username, PASSWORD)
    for path in DISPATCHER_PAGES:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert missing_describedby(page) == [], path
        # Every page links to the accessibility statement from its footer (RGAA obligation).
        expect(page.locator("footer a[href='/accessibilite/']")).to_have_text("Accessibilité : non conforme")

    # A recurring mission with no name and no day: the errors are read with their fields and
    # the focus lands on the first of them, not on <body> at the top of the page.
    page.goto(f"{live_server.url}/dispatch/templates/new/")
    page.locator("#id_name").fill("")
    for day in range(7):
        page.locator(f"#id_weekdays_{day}").uncheck()
    page.locator("#template-save").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#id_name_error")).to_be_visible()
    assert missing_describedby(page) == []
    assert "id_name_error" in page.locator("#id_name").get_attribute("aria-describedby").split()
    assert focused(page) == "id_name"

    page.context.clear_cookies()
    login(page, live_server, admin.username, PASSWORD)
    for path in ADMIN_PAGES:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert missing_describedby(page) == [], path
    # An import with no file: the error is next to the file field, in French, and focused.
    page.goto(f"{live_server.url}/geo/imports/")
    page.locator("#upload-submit").click()
    page.wait_for_load_state("networkidle")
    error = page.locator("#id_file_error")
    expect(error).to_be_visible()
    assert "obligatoire" in error.inner_text()
    assert missing_describedby(page) == []
    assert focused(page) == "id_file"


def test_language_options_are_named_in_their_own_language(page, live_server, community):
    login(page, live_server, member(community, Role.VIEWER).username, PASSWORD)
    options = page.locator("#lang-select option")
    assert [(o.inner_text(), o.get_attribute("lang")) for o in options.all()] == [
        ("Français", "fr"),
        ("English", "en"),
    ]


def luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def rgb(pixel: object) -> tuple[int, ...]:
    assert isinstance(pixel, tuple)
    return pixel


def ring_share(before: bytes, after: bytes, depth: int = 8) -> float:
    """Share of the map's edge (every pixel along its four sides) where, within `depth` px of
    the edge, some pixel changed with a contrast of at least 3:1 when the map took the focus."""
    img0 = Image.open(io.BytesIO(before)).convert("RGB")
    img1 = Image.open(io.BytesIO(after)).convert("RGB")
    w, h = img0.size
    p0, p1 = img0.getpixel, img1.getpixel
    edge: list[list[tuple[int, int]]] = []
    for x in range(depth, w - depth):
        edge.append([(x, d) for d in range(depth)])
        edge.append([(x, h - 1 - d) for d in range(depth)])
    for y in range(depth, h - depth):
        edge.append([(d, y) for d in range(depth)])
        edge.append([(w - 1 - d, y) for d in range(depth)])
    ringed = sum(1 for spots in edge if any(contrast(rgb(p0(xy)), rgb(p1(xy))) >= 3 for xy in spots))
    return ringed / len(edge)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab as a keyboard user does until `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with Tab")


@pytest.mark.parametrize(
    ("path", "ready"), [("/map/", "#map[data-state=idle]"), ("/dispatch/", "#dispatch-map[data-state=idle]")]
)
def test_the_focused_map_shows_a_visible_ring(page, live_server, community, city, path, ready):
    _team, _inside, _outside, dispatcher = city
    login(page, live_server, dispatcher.username, PASSWORD)
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector(ready, timeout=30_000)
    box = page.locator(".maplibregl-map").first
    page.wait_for_timeout(300)
    before = box.screenshot(animations="disabled")
    tab_to(page, "canvas.maplibregl-canvas")
    after = box.screenshot(animations="disabled")
    share = ring_share(before, after)
    assert share >= 0.95, f"{share:.0%} of the map's edge shows the focus ring"


@pytest.fixture
def phone(browser, live_server, community):
    field = make_field(community, n_stops=3)
    context = browser.new_context(
        locale="fr-FR",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        permissions=["geolocation"],
        geolocation={"longitude": 0.3400, "latitude": 46.5795},
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, live_server, field.agent.username, PASSWORD)
    yield page, context, field
    context.close()  # its last requests are waited for before the flush (tests/conftest.py)


SMALL_TARGETS = """() => [...document.querySelectorAll(
  '#main a[href], #main button, #main input:not(.file), #main select, #main textarea, #main [tabindex="0"]')]
  .filter((el) => el.offsetParent !== null && getComputedStyle(el).visibility !== 'hidden')
  .map((el) => ({ el, r: el.getBoundingClientRect() }))
  .filter(({ r }) => r.width > 0 && (r.width < 44 || r.height < 44))
  .map(({ el, r }) => `${el.id || el.className || el.tagName} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def test_agent_targets_are_44_px_and_going_offline_is_announced(phone, live_server):
    page, context, field = phone
    base = live_server.url
    mission = field.mission.pk
    stop = f"i{field.stops[0].pk}"
    screens = [
        ("#/", "#app[data-ready='true']"),
        (f"#/m/{mission}", ".maplibregl-ctrl-zoom-in"),
        (f"#/m/{mission}/s/{stop}", "#btn-start"),
        ("#/report", "#report-form"),
        ("#/outbox", "#btn-resend"),
    ]
    for hash_, ready in screens:
        page.goto(f"{base}/agent/{hash_}")
        page.locator(ready).first.wait_for()
        assert page.evaluate(SMALL_TARGETS) == [], hash_
    # The mission map, reached with the keyboard, shows its focus ring like the desk maps.
    page.goto(f"{base}/agent/#/m/{mission}")
    page.locator("#mission-map[data-idle='true']").wait_for(timeout=30_000)
    box = page.locator("#mission-map")
    box.scroll_into_view_if_needed()
    before = box.screenshot(animations="disabled")
    tab_to(page, "#mission-map canvas.maplibregl-canvas")
    after = box.screenshot(animations="disabled")
    assert ring_share(before, after) >= 0.95
    assert page.locator("#mission-map canvas").get_attribute("aria-label") == "Carte"

    # The stop's form: "Offensive content" checkbox and the surface with its format hint.
    page.goto(f"{base}/agent/#/m/{mission}/s/{stop}")
    page.locator("#btn-start").click()
    page.locator("#btn-next").click()
    page.locator("#f-surface").wait_for()
    assert page.evaluate(SMALL_TARGETS) == []
    hint = page.locator("#" + page.locator("#f-surface").get_attribute("aria-describedby"))
    assert hint.inner_text() == "Par exemple 2,5"

    # A report without a photo: the error is read with the photo field, which gets the focus.
    page.goto(f"{base}/agent/#/report")
    page.locator("#r-submit").wait_for()
    expect(page.locator("#r-position")).not_to_contain_text("inconnue")
    page.locator("#r-category").select_option(index=1)
    page.locator("#r-submit").click()
    expect(page.locator("#r-error")).to_have_text("Une photo est nécessaire.")
    assert focused(page) == "r-photo"
    assert "r-error" in page.locator("#r-photo").get_attribute("aria-describedby").split()

    # Offline: the state line is a status live region, so a screen reader says it.
    page.goto(f"{base}/agent/#/")
    page.locator("#app[data-ready='true']").wait_for()
    context.set_offline(True)
    net = page.locator("#net-state")
    expect(net).to_have_attribute("data-state", "offline")
    assert net.get_attribute("role") == "status"
    assert "Hors ligne" in net.inner_text()
    context.set_offline(False)


def test_the_agent_app_turns_with_the_phone(client, community):
    """WCAG 1.3.4: the installed app is not locked to portrait."""
    field = make_field(community, n_stops=1)
    client.force_login(field.agent)
    manifest = client.get("/agent/manifest.webmanifest").json()
    assert "orientation" not in manifest
    assert manifest["display"] == "standalone"


def test_the_accessibility_statement_is_public_and_lists_what_is_tested_and_what_is_not(page, live_server):
    page.goto(f"{live_server.url}/accessibilite/")
    expect(page.locator("h1")).to_have_text("Déclaration d’accessibilité")
    assert page.locator("#statement").get_attribute("lang") == "fr"
    assert page.locator("#tested li").count() >= 10
    # What is known not to comply is listed until it is fixed; with nothing left, the section
    # says so (and that a full audit is still to be made) instead of disappearing.
    known = page.locator("#not-compliant")
    expect(known).to_be_visible()
    if known.locator("li").count() == 0:
        expect(known).to_contain_text("Aucune non-conformité connue")
        expect(known).to_contain_text("audit complet")
    expect(page.locator("#statement")).to_contain_text("Non-conformités connues")
    expect(page.locator("#statement")).to_contain_text("Défenseur des droits")
    assert missing_describedby(page) == []
    assert_accessible(page)


def test_the_dashboard_map_speaks_french_and_closes_with_escape(page, live_server, community):
    make_history(community)
    login(page, live_server, member(community, Role.VIEWER).username, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/?period=month&date_from=2025-01-01")
    page.wait_for_load_state("networkidle")
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom avant"
    assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == "Zoom arrière"
    zoom = page.locator(".leaflet-control-zoom-in").bounding_box()
    assert zoom["width"] >= 44 and zoom["height"] >= 44
    page.locator("path.leaflet-interactive[fill='#7a0177']").first.click(force=True)
    close = page.locator(".leaflet-popup-close-button")
    close.wait_for()
    assert close.get_attribute("aria-label") == "Fermer la fenêtre"
    box = close.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    # A tooltip opened by hovering a shape closes with Escape (WCAG 1.4.13).
    close.click()
    expect(close).to_have_count(0)
    site = page.locator("path.leaflet-interactive[fill='#7a0177']").first.bounding_box()
    page.mouse.move(site["x"] + site["width"] / 2, site["y"] + site["height"] / 2)
    expect(page.locator(".leaflet-tooltip")).to_have_count(1)
    page.locator(".leaflet-container").focus()
    page.keyboard.press("Escape")
    expect(page.locator(".leaflet-tooltip")).to_have_count(0)
