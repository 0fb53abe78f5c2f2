"""#21 finding 4 (RGAA 3.2, 3.3; WCAG 1.4.1, 1.4.11): on every map, each mark drawn reaches 3:1
against the base map's own colours and white, and the page's legend lists each kind shown.

The marks are read from what the browser drew: the MapLibre maps' rendered features (their
evaluated paint, their icons, checked in the canvas pixels too), the HTML markers, the
dashboard's Leaflet paths and heatmap tile pixels, the mission sheet's SVG. The base colours
are read from the page as well (the style's background and base-map fills, the Leaflet map's
background), not from core/palette.py, so a base map made darker is caught too.
"""

import datetime as dt
import io

import numpy as np
import pytest
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon
from django.utils import timezone
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from accounts.models import Role
from core.palette import INK, MARKS, contrast, over
from interventions.models import InterventionStatus, MissionStatus, MissionStop
from tests.agent.conftest import make_field
from tests.dashboards.helpers import make_history
from tests.dispatch.helpers import at
from tests.e2e.conftest import login
from tests.factories import (
    PASSWORD,
    POITIERS,
    AssetFactory,
    CategoryFactory,
    InterventionFactory,
    MissionFactory,
    ReportFactory,
    TeamFactory,
    ZoneFactory,
    member,
    square,
)
from tests.geo.routing_grids import grid
from tests.live_server_idle import wait_for_server_idle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/ronde-map-marks"  # noqa: S108 (screenshots to look at)

# The colour a mark's SVG picture draws (core/palette.py draws a white halo, then the mark: its
# fill, or its stroke for rings, crosses and lines).
PAINT_OF = """(node) => {
  const mark = node.querySelectorAll('path')[1];
  if (!mark) return 'no picture';
  const fill = mark.getAttribute('fill');
  return (fill && fill !== 'none' ? fill : mark.getAttribute('stroke')).toLowerCase();
}"""

# What a MapLibre map shows: base colours from its style, each rendered mark (kind, colour as
# evaluated by MapLibre, screen position of icons), HTML markers, and the legend's kinds.
MAPLIBRE_MARKS = """(map) => {
  const PAINT_OF = PAINT_OF_JS;
  const M = JSON.parse(document.getElementById('ronde-marks').textContent);
  const hex = (c) => {
    if (typeof c === 'string') return c.toLowerCase();
    const a = c.a || 1;  // MapLibre colours are premultiplied by alpha
    return '#' + [c.r, c.g, c.b].map((v) => Math.round((v / a) * 255).toString(16).padStart(2, '0')).join('');
  };
  const style = map.getStyle();
  const base = ['#ffffff'];
  for (const l of style.layers) {
    const shown = !l.layout || l.layout.visibility !== 'none';
    if (shown && l.type === 'background') base.push(hex(l.paint['background-color']));
    if (shown && l.type === 'fill' && l.metadata && l.metadata['ronde:layer'] === 'basemap') base.push(hex(l.paint['fill-color']));
  }
  const shown = [];
  for (const f of map.queryRenderedFeatures()) {
    const l = f.layer;
    const md = l.metadata || {};
    if (l.type === 'symbol') {
      let image = l.layout['icon-image'];
      if (image && typeof image === 'object') image = image.name;
      const kind = String(image).replace(/^mark-/, '');
      const p = f.geometry.type === 'Point' ? map.project(f.geometry.coordinates) : null;
      shown.push({ kind, colour: M.marks[kind] ? M.marks[kind].colour : String(image), via: l.id, x: p && p.x, y: p && p.y });
    } else if (md['ronde:mark']) {
      const c = l.paint['line-color'] || l.paint['circle-stroke-color'];
      shown.push({ kind: md['ronde:mark'], colour: hex(c), via: l.id });
    }
  }
  const container = map.getContainer();
  for (const el of container.querySelectorAll('.maplibregl-marker[data-mark]')) {
    shown.push({ kind: el.dataset.mark, colour: PAINT_OF(el), via: 'marker', svg: el.innerHTML });
  }
  const legend = [...document.querySelectorAll('[data-legend]')].filter((e) => e.getClientRects().length).map((e) => e.dataset.legend);
  return { base: [...new Set(base)], shown, legend };
}"""
MAPLIBRE_MARKS = MAPLIBRE_MARKS.replace("PAINT_OF_JS", PAINT_OF)


def check_marks(found: dict, where: str) -> set[str]:
    """Every mark at 3:1 against every base colour, drawn in its palette colour, in the legend."""
    assert found["shown"], f"{where}: no mark drawn"
    assert len(found["base"]) >= 2, found["base"]
    problems = []
    for m in found["shown"]:
        mark = MARKS.get(m["kind"])
        if mark is None:
            problems.append(f"{m['via']}: {m['kind']} is not a mark of the palette")
            continue
        if m["colour"] != mark.colour:
            problems.append(f"{m['via']}: {m['kind']} drawn {m['colour']}, palette {mark.colour}")
        if m["kind"] not in found["legend"]:
            problems.append(f"{m['via']}: {m['kind']} shown but not in the legend {found['legend']}")
        if mark.colour == "#ffffff":
            # A hollow mark (a stop left out): its dashed ink outline carries it.
            assert mark.line == "dashed" and INK in m.get("svg", INK)
            continue
        worst = min(found["base"], key=lambda b: contrast(m["colour"], b))
        if contrast(m["colour"], worst) < 3:
            problems.append(
                f"{m['via']}: {m['kind']} {m['colour']} on {worst}: {contrast(m['colour'], worst):.2f}:1"
            )
    assert not problems, f"{where}:\n" + "\n".join(sorted(set(problems)))
    return {m["kind"] for m in found["shown"]}


def near(pixel: tuple[int, ...], colour: str, tolerance: int = 24) -> bool:
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], target, strict=True))


def check_icon_pixels(page, canvas_selector: str, found: dict) -> None:
    """The icons are drawn in the palette's colour: looked up in the canvas' own pixels."""
    shot = Image.open(io.BytesIO(page.locator(canvas_selector).screenshot())).convert("RGB")
    pixels = np.asarray(shot)  # rows, columns, RGB
    scale = shot.width / page.locator(canvas_selector).bounding_box()["width"]
    seen: dict[str, bool] = {}
    for m in found["shown"]:
        if m.get("x") is None:
            continue
        x, y = round(m["x"] * scale), round(m["y"] * scale)
        box = [
            tuple(int(v) for v in pixels[j, i])
            for i in range(max(x - 4, 0), min(x + 5, shot.width))
            for j in range(max(y - 4, 0), min(y + 5, shot.height))
        ]
        seen[m["kind"]] = seen.get(m["kind"], False) or any(near(p, m["colour"]) for p in box)
    assert seen and all(seen.values()), seen


def wait_idle(page, selector: str) -> None:
    page.wait_for_selector(selector, timeout=30_000)
    page.wait_for_timeout(300)


# When a mark never comes: where the map looks, and what its point sources hold (a mark outside
# the view, or missing from the data, or there but not drawn).
MAP_STATE = """(map) => {
  const b = map.getBounds();
  const sources = {};
  for (const [id, source] of Object.entries(map.getStyle().sources)) {
    if (source.type !== 'geojson' || typeof source.data !== 'object') continue;
    sources[id] = (source.data.features || []).map((f) => [f.properties.status || f.properties.kind, f.geometry && f.geometry.coordinates]);
  }
  const images = map.listImages().filter((id) => id.startsWith('mark-'));
  const rendered = {};
  for (const f of map.queryRenderedFeatures()) rendered[f.layer.id] = (rendered[f.layer.id] || 0) + 1;
  return { images, rendered, zoom: map.getZoom(), west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth(),
           size: [map.getCanvas().clientWidth, map.getCanvas().clientHeight], loaded: map.loaded(), sources };
}"""


def marks_drawn(page, map_js: str, kinds: set[str]) -> dict:
    """What the map shows once it draws every kind of mark in `kinds`.

    Tiles and markers arrive in their own time on a loaded machine: waiting for the marks
    themselves, not for a fixed time, reads a map that has finished drawing them. A kind that
    never comes fails on the wait, naming what was drawn instead.
    """
    probe = f"(need) => {{ const f = ({MAPLIBRE_MARKS})({map_js}); const have = new Set(f.shown.map((m) => m.kind)); return need.every((k) => have.has(k)); }}"
    try:
        page.wait_for_function(probe, arg=sorted(kinds), timeout=30_000)
    except PlaywrightTimeout:
        drawn = {m["kind"] for m in page.evaluate(f"({MAPLIBRE_MARKS})({map_js})")["shown"]}
        where = page.evaluate(f"({MAP_STATE})({map_js})")
        console = getattr(page, "console_problems", [])[-10:]  # tests/e2e/conftest.py page
        raise AssertionError(
            f"never drawn: {sorted(kinds - drawn)}; drawn: {sorted(drawn)}; the map: {where}; console: {console}"
        ) from None
    return page.evaluate(f"({MAPLIBRE_MARKS})({map_js})")


# ---------------------------------------------------------------- /map/ and /dispatch/


@pytest.fixture
def town(community):
    """Streets, a district, an asset, a report and an intervention of every status, today, and a
    dispatched mission with stops in every state and its round."""
    grid(community, n=4, step=100)  # 400 m x 400 m of streets
    ZoneFactory(community=community, name="Centre", geom=MultiPolygon(square(*at(200, 200).coords, 380)))
    team = TeamFactory(community=community, name="Brigade Nord", depot=at(0, 0))
    category = CategoryFactory(community=community, name="Tag")
    AssetFactory(community=community, name="Mur", geom=at(120, 320))
    ReportFactory(community=community, category=category, geom=at(50, 3))
    now = timezone.now()
    jobs = {}
    for i, status in enumerate(InterventionStatus):
        done = status in (InterventionStatus.DONE, InterventionStatus.NOT_DONE)
        jobs[status] = InterventionFactory(
            community=community,
            category=category,
            geom=at(100 + 50 * i, 100 + 25 * i),
            status=status,
            team=team,
            started_at=now - dt.timedelta(hours=1) if done else None,
            ended_at=now - dt.timedelta(minutes=10) if done else None,
        )
    mission = MissionFactory(
        community=community,
        team=team,
        name="Tournée test",
        date=timezone.localdate(),
        status=MissionStatus.DISPATCHED,
        zone=square(*at(200, 200).coords, 360),
        route=MultiLineString(LineString(at(0, 0), at(100, 100), at(300, 200), at(300, 300), srid=2154)),
    )
    for n, status in enumerate(
        (
            InterventionStatus.SCHEDULED,
            InterventionStatus.IN_PROGRESS,
            InterventionStatus.DONE,
            InterventionStatus.NOT_DONE,
        )
    ):
        stop_status = (
            status if status in (InterventionStatus.DONE, InterventionStatus.NOT_DONE) else "planned"
        )
        MissionStop.objects.create(
            mission=mission, intervention=jobs[status], sequence=n + 1, status=stop_status
        )
    left = InterventionFactory(community=community, category=category, geom=at(320, 320), team=team)
    MissionStop.objects.create(mission=mission, intervention=left, status="unassigned")
    return mission, member(community, Role.DISPATCHER)


def test_the_map_page_marks_reach_3_to_1_and_are_all_in_the_legend(page, live_server, town):
    _mission, dispatcher = town
    login(page, live_server, dispatcher.username, PASSWORD)
    page.goto(f"{live_server.url}/map/")
    wait_idle(page, "#map[data-state=idle]")
    centre = at(200, 200).transform(4326, clone=True)
    page.evaluate(
        "([lon, lat]) => document.getElementById('map').maplibreMap.jumpTo({center: [lon, lat], zoom: 16})",
        [centre.x, centre.y],
    )
    wait_idle(page, "#map[data-state=idle]")
    # Every intervention status, the report and the asset, each its own shape.
    shown = {"todo", "scheduled", "in_progress", "done", "not_done", "report", "asset", "zone"}
    found = marks_drawn(page, "document.getElementById('map').maplibreMap", shown)
    page.screenshot(path=f"{SHOTS}-map.png", full_page=True)
    kinds = check_marks(found, "/map/")
    assert shown <= kinds
    assert len({MARKS[k].shape for k in kinds if MARKS[k].shape != "line"}) == len(
        kinds - {"zone", "mission_zone"}
    )
    check_icon_pixels(page, "#map canvas.maplibregl-canvas", found)


def test_the_dispatch_board_marks_reach_3_to_1_and_are_all_in_the_legend(page, live_server, town):
    mission, dispatcher = town
    login(page, live_server, dispatcher.username, PASSWORD)
    page.goto(f"{live_server.url}/dispatch/")
    wait_idle(page, "#dispatch-map[data-state=idle]")
    jobs = {"report", "todo", "scheduled", "in_progress", "done", "not_done"}
    # The jobs' icons, in the canvas' pixels (before a mission's numbered stops cover some).
    check_icon_pixels(
        page,
        "#dispatch-map canvas.maplibregl-canvas",
        marks_drawn(page, "window.rondeDispatch.map", jobs),
    )
    page.locator(f'#mission-list button[data-mission="{mission.pk}"]').click()
    expect(page.locator("#stop-list li")).to_have_count(5)
    expect(page.locator("#dispatch-map .maplibregl-marker[data-mark]")).to_have_count(5)
    expect(page.locator("#stop-list li[data-state=done]")).to_have_count(1)
    stops = {"stop_planned", "stop_in_progress", "stop_done", "stop_not_done", "stop_unassigned"}
    mission_marks = jobs | stops | {"round", "mission_zone", "zone"}
    found = marks_drawn(page, "window.rondeDispatch.map", mission_marks)
    page.screenshot(path=f"{SHOTS}-dispatch.png", full_page=True)
    assert mission_marks <= check_marks(found, "/dispatch/")
    # "Show on the map": the highlight ring is a mark too.
    page.locator("#job-list li").first.get_by_role("button", name="Voir sur la carte").click()
    found = marks_drawn(page, "window.rondeDispatch.map", {"highlight"})
    page.screenshot(path=f"{SHOTS}-dispatch-highlight.png")
    assert "highlight" in check_marks(found, "/dispatch/ (highlight)")

    # The zone being drawn.
    page.locator("#draw-polygon").click()
    box = page.locator("#dispatch-map canvas.maplibregl-canvas").bounding_box()
    for dx, dy in ((0.3, 0.3), (0.6, 0.3), (0.5, 0.6)):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
    found = marks_drawn(page, "window.rondeDispatch.map", {"drawing"})
    assert "drawing" in check_marks(found, "/dispatch/ (drawing)")


# ---------------------------------------------------------------- the mission sheet


def test_the_mission_sheet_marks_reach_3_to_1_and_are_all_in_the_legend(page, live_server, town):
    mission, dispatcher = town
    login(page, live_server, dispatcher.username, PASSWORD)
    page.goto(f"{live_server.url}/dispatch/missions/{mission.pk}/sheet/")
    page.locator(".sheet-map-svg").screenshot(path=f"{SHOTS}-sheet.png")
    found = page.evaluate(
        """() => {
          const svg = document.querySelector('.sheet-map-svg');
          const base = [svg.querySelector('rect').getAttribute('fill').toLowerCase(), '#ffffff'];
          const PAINT_OF = PAINT_OF_JS;
          const shown = [...svg.querySelectorAll('g[data-mark]')].map((g) => (
            { kind: g.dataset.mark, colour: PAINT_OF(g), via: 'svg', svg: g.outerHTML }));
          const legend = [...document.querySelectorAll('[data-legend]')].map((e) => e.dataset.legend);
          return { base, shown, legend };
        }""".replace("PAINT_OF_JS", PAINT_OF)
    )
    kinds = check_marks(found, "mission sheet")
    assert {"mission_zone", "round", "depot", "stop_planned", "stop_done", "stop_unassigned"} <= kinds


# ---------------------------------------------------------------- the agent's mission map


def test_the_agent_mission_map_marks_reach_3_to_1_and_are_all_in_the_legend(browser, live_server, community):
    field = make_field(community, n_stops=3)
    context = browser.new_context(
        locale="fr-FR",
        viewport={"width": 390, "height": 844},
        permissions=["geolocation"],
        geolocation={"longitude": 0.3400, "latitude": 46.5795},
    )
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        login(page, live_server, field.agent.username, PASSWORD)
        page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}")
        wait_idle(page, "#mission-map[data-idle='true']")
        expect(page.locator("#mission-map .maplibregl-marker[data-mark]")).not_to_have_count(0)
        page.locator("#mission-map").scroll_into_view_if_needed()
        page.screenshot(path=f"{SHOTS}-agent.png", full_page=True)
        found = page.evaluate("(" + MAPLIBRE_MARKS + ")(document.querySelector('#mission-map').rondeMap)")
        kinds = check_marks(found, "agent mission map")
        assert {"stop_planned", "me"} <= kinds
    finally:
        context.close()
        wait_for_server_idle()


# ---------------------------------------------------------------- dashboards and the public link


HEAT_PIXELS = """async () => {
  const out = [];
  for (const img of document.querySelectorAll("img.leaflet-tile[src*='/tiles/heatmap/']")) {
    if (!img.complete || !img.naturalWidth) continue;
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) out.push([d[i], d[i + 1], d[i + 2], d[i + 3]]);
  }
  return out;
}"""

LEAFLET_MARKS = """() => {
  const map = document.querySelector('.folium-map');
  const bg = getComputedStyle(map).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number);
  const base = ['#' + bg.map((v) => v.toString(16).padStart(2, '0')).join(''), '#ffffff'];
  const shown = [];
  for (const p of map.querySelectorAll('.leaflet-overlay-pane path')) {
    const kind = [...p.classList].find((c) => c.startsWith('mark-'));
    if (!kind) continue;  // the base map's streets
    const fill = p.getAttribute('fill');
    const colour = kind === 'mark-hotspot' ? fill : p.getAttribute('stroke');
    shown.push({ kind: kind.slice(5), colour: colour.toLowerCase(), via: 'leaflet', pattern: fill && fill.startsWith('url(') ? fill.slice(5, -1) : null,
                 focusable: p.getAttribute('tabindex'), role: p.getAttribute('role'), name: p.getAttribute('aria-label') });
  }
  const legend = [...document.querySelectorAll('[data-legend]')].filter((e) => e.getClientRects().length).map((e) => e.dataset.legend);
  return { base, shown, legend };
}"""


def check_dashboard(page, where: str) -> None:
    page.wait_for_load_state("networkidle")
    page.locator("#dashboard-map").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.locator(".dash-map").screenshot(path=f"{SHOTS}-{where.strip('/').replace('/', '-') or 'dash'}.png")
    found = page.evaluate(LEAFLET_MARKS)
    kinds = check_marks(found, where)
    assert {"zone", "hotspot", "territory"} <= kinds
    # Districts: each class a hatching (a pattern the page holds), every class in the legend.
    patterns = {m["pattern"] for m in found["shown"] if m["pattern"]}
    assert patterns and all(page.locator(f"pattern#{p}").count() == 1 for p in patterns)
    for p in patterns:
        assert f"district-{p.rsplit('-', 1)[1]}" in found["legend"], (p, found["legend"])
    # A shape a keyboard reaches has a role and a name (RGAA 7.1).
    for m in found["shown"]:
        if m["focusable"] is not None and m["focusable"] != "-1":
            assert m["role"] and m["name"], m
    # The heatmap's every coloured pixel, on the map's land colour, at 3:1 or more.
    pixels = page.evaluate(HEAT_PIXELS)
    assert pixels, "no heatmap pixel drawn"
    land = found["base"][0]
    seen = {over("#{:02x}{:02x}{:02x}".format(*p[:3]), p[3] / 255, land) for p in pixels}
    worst = min(seen, key=lambda c: contrast(c, land))
    assert contrast(worst, land) >= 3, (
        f"{where}: heatmap pixel {worst} on {land}: {contrast(worst, land):.2f}:1"
    )
    assert len([k for k in found["legend"] if k.startswith("heat-")]) == 5


def test_the_dashboard_and_its_public_link_marks_reach_3_to_1_with_legends(page, live_server, community):
    make_history(community)
    ZoneFactory(
        community=community, name="Centre", geom=MultiPolygon(square(POITIERS[0] + 50, POITIERS[1], 300))
    )
    ZoneFactory(
        community=community, name="Gare", geom=MultiPolygon(square(POITIERS[0] + 1000, POITIERS[1], 300))
    )
    manager = member(community, Role.ADMIN)
    login(page, live_server, manager.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/?period=month&date_from=2025-01-01")
    check_dashboard(page, "/dashboards/")
    # Finding 10: a hovered district's tooltip closes with Escape (WCAG 1.4.13); a recurrent
    # site is a button with a name that a keyboard opens; a district shape is out of the tab order.
    district = page.locator("#dashboard-map path.mark-zone").first
    district.hover(force=True)
    expect(page.locator(".leaflet-tooltip")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".leaflet-tooltip")).to_have_count(0)
    assert district.get_attribute("tabindex") == "-1"
    site = page.locator("#dashboard-map path.mark-hotspot").first
    assert site.get_attribute("role") == "button" and "retours" in site.get_attribute("aria-label")
    site.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content table")).to_be_visible()
    page.goto(f"{live_server.url}/dashboards/?period=month&date_from=2025-01-01&shade=volume")
    check_dashboard(page, "/dashboards/volume")

    # The public link shows the same map with the same legends.
    page.locator("#share-create").click()
    page.wait_for_load_state("networkidle")
    url = page.locator("#share-url").input_value()
    page.context.clear_cookies()
    page.goto(url)
    check_dashboard(page, "/public/")
