"""A dispatcher's working day (issue 18), keyboard and mouse, in French: nothing planned twice,
nothing dropped silently, numbered stops on top, and the way to each field is short."""

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon
from playwright.sync_api import expect

from accounts.models import Role
from interventions.models import Mission, MissionStop
from tests.dispatch.helpers import at
from tests.e2e.conftest import assert_accessible, login
from tests.factories import (
    PASSWORD,
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

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def day(community):
    grid(community, n=4, step=100)
    team = TeamFactory(community=community, name="Brigade Nord", depot=at(0, 0))
    category = CategoryFactory(community=community, name="Tag", service_minutes=50)
    reports = [
        ReportFactory(community=community, category=category, geom=at(x, y))
        for x, y in [(50, 3), (150, 203), (303, 50), (250, 303)]
    ]
    # An intervention of the district that another mission (another day) already plans.
    planned = InterventionFactory(community=community, category=category, geom=at(200, 100))
    other = MissionFactory(community=community, team=team, name="Mardi centre", date=dt.date(2025, 6, 3))
    MissionStop.objects.create(mission=other, intervention=planned)
    ZoneFactory(community=community, name="Gare", geom=MultiPolygon(square(*at(175, 175).coords, 240)))
    return team, reports, planned, other, member(community, Role.DISPATCHER)


def tabs_until(page, selector: str, limit: int = 80) -> int:
    """How many Tab presses from where the focus is until `selector` has the focus."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return n
    raise AssertionError(f"{selector} not reached in {limit} Tab presses")


def test_a_dispatchers_day_by_keyboard(page, live_server, community, day, tmp_path):
    team, reports, planned, other, user = day
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/dispatch/")
    page.wait_for_selector("#dispatch-map[data-state=idle]", timeout=30_000)

    # Skip links: the district list and the team field a few Tab presses away (were 25 and 55).
    to_links = tabs_until(page, "a[href='#zone-district']")
    assert to_links <= 6, to_links
    link = page.locator("a[href='#zone-district']")
    expect(link).to_be_visible()  # shown while focused
    assert link.inner_text() == "Aller à la liste des quartiers"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "zone-district"
    page.locator("#zone-district").select_option(label="Gare")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "zone-district-use"
    page.keyboard.press("Enter")
    expect(page.locator("#preview-list li")).to_have_count(5)

    # The job another mission plans is shown with where it is, and cannot be ticked.
    row = page.locator(f"#preview-list li[data-key='i{planned.pk}']")
    expect(row.locator(".already-planned")).to_contain_text("Mardi centre")
    expect(row.locator(".already-planned")).to_contain_text("03/06/2025")
    expect(row.locator("input")).to_be_disabled()
    expect(page.locator("#preview-count")).to_contain_text("4 tâches sur 5")

    # Team, date, shift hours and rounds in the one-off form, right after the zone's jobs
    # (the skip link "Aller à l'équipe et à la date" goes there from anywhere too).
    assert tabs_until(page, "#plan-team") <= 8
    page.locator("#plan-team").select_option(str(team.pk))
    page.locator("#plan-date").fill("2025-06-02")
    page.locator("#plan-profile").select_option("walk")
    page.locator("#plan-shift-start").fill("08:00")
    page.locator("#plan-shift-end").fill("10:00")
    page.locator("#plan-create").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#mission-panel[data-status=draft]")
    # Focus stays where the work goes on: the new mission, not the top of the page.
    expect(page.locator("#mission-heading")).to_be_focused()
    mission = Mission.objects.exclude(pk=other.pk).get()
    assert (mission.shift_end, mission.agents) == (dt.time(10, 0), 1)
    assert not mission.stops.filter(intervention=planned).exists()
    assert page.locator("#stop-list li").count() == 4

    # Optimise: 4 jobs of 50 min cannot fit in 2 h: say how many fit, and the ways out.
    page.locator("#mission-optimize").click()
    page.wait_for_selector("#plan-summary[data-distance]", timeout=30_000)
    fit = page.locator("#plan-fit")
    expect(fit).to_be_visible()
    left_out = int(fit.get_attribute("data-unassigned"))
    assert 1 <= left_out < 4
    expect(page.locator("#plan-fit-text")).to_contain_text(f"{4 - left_out} tâches sur 4")
    dropped = page.locator("#stop-list li[data-state=unassigned]").first
    expect(dropped).to_contain_text("plus de temps dans les horaires")
    expect(dropped).to_contain_text("de nouveau en attente")
    assert "shift" not in page.locator("#stop-list").inner_text()
    # Planned markers are drawn above the dropped ones.
    z = page.evaluate(
        "() => [...document.querySelectorAll('.stop-marker')].map(m => [m.textContent, getComputedStyle(m).zIndex])"
    )
    assert all(int(zi) == (1 if text == "–" else 2) for text, zi in z), z
    page.screenshot(path=tmp_path / "dispatch_day_fit.png", full_page=True)

    # Another agent: the dropped jobs get a round of their own.
    page.locator("#fit-agent").click()
    expect(page.locator("#plan-fit")).to_have_attribute("data-unassigned", "0", timeout=30_000)
    expect(page.locator("#plan-fit")).to_be_hidden()
    expect(page.locator("#plan-summary")).to_be_focused()  # not the top of the page
    mission.refresh_from_db()
    assert mission.agents == 2

    # The sheet counts the planned stops.
    page.goto(f"{live_server.url}/dispatch/missions/{mission.pk}/sheet/")
    expect(page.locator("#sheet-stop-count")).to_have_text("4")
    assert_accessible(page)


def test_leaving_dropped_jobs_in_the_pool(page, live_server, community, day):
    team, reports, planned, other, user = day
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/dispatch/")
    page.wait_for_selector("#dispatch-map[data-state=idle]", timeout=30_000)
    page.locator("#zone-district").select_option(label="Gare")
    page.locator("#zone-district-use").click()
    expect(page.locator("#preview-list li")).to_have_count(5)
    page.locator("#plan-team").select_option(str(team.pk))
    page.locator("#plan-shift-end").fill("09:30")
    page.locator("#plan-create").click()
    page.wait_for_selector("#mission-panel[data-status=draft]")
    page.locator("#mission-optimize").click()
    page.wait_for_selector("#plan-summary[data-distance]", timeout=30_000)
    left_out = int(page.locator("#plan-fit").get_attribute("data-unassigned"))
    assert left_out >= 1

    page.locator("#fit-leave").click()
    expect(page.locator("#stop-list li[data-state=unassigned]")).to_have_count(0, timeout=30_000)
    expect(page.locator("#stop-list li")).to_have_count(4 - left_out)
    page.wait_for_selector("#plan-summary[data-distance]", timeout=30_000)
    expect(page.locator("#plan-status")).to_have_text(
        f"Tournée optimisée : {4 - left_out} étapes ordonnées, 0 écartées."
    )
    mission = Mission.objects.exclude(pk=other.pk).get()
    assert mission.stops.count() == 4 - left_out
    # The jobs left out are free: a second mission takes them.
    assert MissionStop.objects.filter(holds_job=True, report__in=reports).count() == 4 - left_out


def test_the_board_shows_what_the_agent_recorded(page, live_server, community, day, settings, tmp_path):
    from django.utils import timezone

    from interventions.models import InterventionStatus, MissionStatus
    from tests.dispatch.test_stop_records import recorded_job

    settings.MEDIA_ROOT = tmp_path
    team, reports, planned, other, user = day
    mission = MissionFactory(
        community=community,
        team=team,
        name="Jeudi gare",
        date=timezone.localdate(),
        status=MissionStatus.IN_PROGRESS,
    )
    job = recorded_job(
        community, status=InterventionStatus.NOT_DONE, not_done_reason="inaccessible", notes="Portail fermé"
    )
    MissionStop.objects.create(mission=mission, intervention=job, sequence=1)
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/dispatch/")
    page.wait_for_selector("#dispatch-map[data-state=idle]", timeout=30_000)

    page.locator(f"#mission-list button[data-mission='{mission.pk}']").click()
    row = page.locator("#stop-list li").first
    expect(row.locator(".stop-photos img")).to_have_count(3, timeout=20_000)
    expect(row).to_contain_text("Inaccessible")
    expect(row).to_contain_text("09:05–09:30")
    expect(row).to_contain_text("Portail fermé")
    row.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.stop-photos img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=15_000,
    )
    page.locator("#mission-panel").screenshot(path=tmp_path / "board_record.png")
    assert_accessible(page)
