"""The dispatcher's day in a real browser: draw a zone, plan, optimise, dispatch, follow."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Point
from playwright.sync_api import expect

from accounts.models import Role
from interventions.models import Intervention, InterventionStatus, Mission, MissionStatus, Report
from tests.dispatch.helpers import at
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD, CategoryFactory, ReportFactory, TeamFactory, ZoneFactory, member, square
from tests.geo.routing_grids import grid

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def lonlat(dx: float, dy: float) -> list[float]:
    point = at(dx, dy).transform(4326, clone=True)
    assert isinstance(point, Point)
    return [point.x, point.y]


def screen(page, dx: float, dy: float) -> tuple[float, float]:
    """Where a point (metres from the grid corner) is on the screen, from the live map."""
    x, y = page.evaluate(
        "(ll) => { const p = window.rondeDispatch.map.project(ll); return [p.x, p.y]; }", lonlat(dx, dy)
    )
    box = page.locator("#dispatch-map canvas.maplibregl-canvas").bounding_box()
    return box["x"] + x, box["y"] + y


@pytest.fixture
def city(community):
    grid(community, n=4, step=100)  # 400 m x 400 m of streets, 100 m blocks
    team = TeamFactory(community=community, name="Brigade Nord", depot=at(0, 0))
    category = CategoryFactory(community=community, name="Tag", service_minutes=10)
    inside = [
        ReportFactory(community=community, category=category, geom=at(x, y))
        for x, y in [(50, 3), (150, 203), (303, 50), (250, 303)]
    ]
    outside = ReportFactory(community=community, category=category, geom=at(700, 650))
    user = member(community, Role.DISPATCHER)
    return team, inside, outside, user


def open_board(page, live_server, user):
    login(page, live_server, user.username, PASSWORD)
    page.locator('nav a[href="/dispatch/"]').click()
    page.wait_for_selector("#dispatch-map[data-state=idle]", timeout=30_000)


def test_dispatcher_draws_a_zone_plans_optimises_dispatches_and_follows(page, live_server, community, city):
    team, inside, outside, user = city
    open_board(page, live_server, user)
    assert page.locator("#job-list li").count() == 5

    # Draw the zone with the mouse around the four jobs of the grid, not the fifth.
    page.locator("#draw-rectangle").click()
    x0, y0 = screen(page, -30, -30)
    x1, y1 = screen(page, 380, 380)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()
    expect(page.locator("#preview-list li")).to_have_count(4)
    keys = {li.get_attribute("data-key") for li in page.locator("#preview-list li").all()}
    assert keys == {f"r{r.pk}" for r in inside}

    # Leave one job out, pick the team, create the draft.
    page.locator(f"#preview-r{inside[3].pk}").uncheck()
    page.locator("#plan-team").select_option(str(team.pk))
    page.locator("#plan-profile").select_option("walk")
    page.locator("#plan-create").click()
    page.wait_for_selector("#mission-panel[data-status=draft]")
    assert page.locator("#stop-list li").count() == 3

    # Optimise: numbered stops in order, a route on the map, distance and duration shown.
    page.locator("#mission-optimize").click()
    page.wait_for_selector("#plan-summary[data-distance]", timeout=30_000)
    assert [li.get_attribute("data-sequence") for li in page.locator("#stop-list li").all()] == [
        "1",
        "2",
        "3",
    ]
    assert int(page.locator("#dispatch-map").get_attribute("data-route-lines")) >= 1
    assert float(page.locator("#plan-summary").get_attribute("data-distance")) > 300
    assert page.locator(".stop-marker").count() == 3

    # Dispatch: the jobs become the team's scheduled interventions (what the agents' app lists).
    page.locator("#mission-dispatch").click()
    page.wait_for_selector("#mission-panel[data-status=dispatched]")
    mission = Mission.objects.get(community=community)
    assert mission.status == MissionStatus.DISPATCHED
    jobs = Intervention.objects.filter(mission=mission)
    assert jobs.count() == 3 and {j.team_id for j in jobs} == {team.pk}

    # Live progress: an agent finishes one stop; the page shows it without reloading.
    first = mission.stops.get(sequence=1).intervention
    Intervention.objects.filter(pk=first.pk).update(status=InterventionStatus.DONE)
    page.wait_for_selector("#mission-progress[data-done='1']", timeout=25_000)
    assert page.locator("#stop-list li[data-sequence='1']").get_attribute("data-state") == "done"

    assert_accessible(page)


def test_keyboard_only_zone_from_a_district_and_from_ticked_jobs(page, live_server, community, city):
    team, inside, outside, user = city
    ZoneFactory(community=community, name="Gare", geom=MultiPolygon(square(*at(50, 50).coords, 60)))
    open_board(page, live_server, user)

    page.locator("#zone-district").select_option(label="Gare")
    page.locator("#zone-district-use").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#preview-list li")).to_have_count(1)
    assert page.locator("#preview-list li").get_attribute("data-key") == f"r{inside[0].pk}"

    for report in (inside[1], inside[2]):
        page.locator(f"#job-r{report.pk}").focus()
        page.keyboard.press("Space")
    page.locator("#zone-from-selection").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#preview-list li[data-key='r{inside[1].pk}']")).to_have_count(1)
    keys = {li.get_attribute("data-key") for li in page.locator("#preview-list li").all()}
    assert {f"r{inside[1].pk}", f"r{inside[2].pk}"} <= keys and f"r{outside.pk}" not in keys
    assert_accessible(page)


def test_board_fits_a_phone_and_the_sheet_is_accessible(page, live_server, community, city, api_as):
    team, inside, outside, user = city
    page.set_viewport_size({"width": 360, "height": 740})
    open_board(page, live_server, user)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)

    from tests.dispatch.helpers import box_4326

    created = api_as(community).post(
        "/api/v1/missions/",
        {"zone": box_4326(-10, -10, 400, 400), "date": "2025-06-02", "team": team.pk},
        format="json",
    )
    page.goto(f"{live_server.url}/dispatch/missions/{created.json()['id']}/sheet/")
    assert page.locator("#sheet-stops tbody tr").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)


def test_side_list_filters_narrow_the_list_and_the_map_together(page, live_server, community, city):
    team, inside, outside, user = city
    Report.objects.filter(pk=inside[2].pk).update(priority=1)
    open_board(page, live_server, user)
    on_map = (
        "async () => (await window.rondeDispatch.map.getSource('jobs-reports').getData()).features.length"
    )

    page.locator("#filter-priority").select_option("1")
    expect(page.locator("#job-list li")).to_have_count(1)
    assert page.locator("#job-list li").get_attribute("data-key") == f"r{inside[2].pk}"
    assert page.evaluate(on_map) == 1

    page.locator("#filter-priority").select_option("")
    page.locator("#filter-status").select_option("scheduled")  # no scheduled intervention here
    expect(page.locator("#job-list li")).to_have_count(0)
    assert page.evaluate(on_map) == 0
    page.locator("#filter-status").select_option("report")
    expect(page.locator("#job-list li")).to_have_count(5)
    page.locator("#filter-age").select_option("30")  # every report here is new
    expect(page.locator("#job-list li")).to_have_count(0)
