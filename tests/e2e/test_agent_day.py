"""An agent's day on a phone (390 × 844, touch, French): home, outbox details, French text, header (#18)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from interventions.models import MissionStatus
from tests.agent.conftest import make_field
from tests.e2e.test_agent_resume import open_app, phone
from tests.factories import MissionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A decimal point between digits, or a colon glued to its word / after a plain space (French
# wants a no-break space before ":"). Times ("22:53") have no space after the colon.
DECIMAL_POINT = re.compile(r"\d\.\d")
ENGLISH_COLON = re.compile(r"(\S|[ ]):(\s|$)")


def french_text_problems(page) -> list[str]:
    text = page.locator("body").inner_text()
    return DECIMAL_POINT.findall(text) + [m.group(0) for m in ENGLISH_COLON.finditer(text)]


@pytest.fixture
def day(browser, live_server, community):
    field = make_field(community, n_stops=2)
    tomorrow = MissionFactory(
        community=community,
        team=field.team,
        date=timezone.localdate() + dt.timedelta(days=1),
        status=MissionStatus.DISPATCHED,
    )
    context = phone(browser)
    page = open_app(context, live_server, field.agent.username)
    yield page, context, field, tomorrow
    context.close()  # its last requests are waited for before the flush (tests/conftest.py)


def test_home_lists_today_and_coming_missions_in_french(day):
    page, _context, field, tomorrow = day
    text = page.locator("#app").inner_text()
    assert "[object" not in text
    assert page.get_by_role("heading", name="À venir").is_visible()
    coming = page.locator(f"#missions-coming a[data-mission-id='{tomorrow.pk}']")
    assert coming.is_visible()
    assert page.locator(f"#missions-today a[data-mission-id='{field.mission.pk}']").is_visible()
    # Days in words ("dimanche 6 décembre"), not ISO dates.
    day = page.locator(f"#missions-coming time[datetime='{tomorrow.date.isoformat()}']").inner_text()
    assert re.fullmatch(r"[a-z]+ \d{1,2} [a-zéû]+", day), day
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # no ISO date, in names either
    assert french_text_problems(page) == []
    page.screenshot(path=str(_shot("agent-home")))


def test_outbox_details_follow_a_sync(day, live_server):
    page, context, field, _tomorrow = day
    stop = field.stops[0]
    page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}")
    page.locator("#stops li").first.wait_for()
    context.set_offline(True)
    page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}/s/i{stop.pk}")
    page.locator("#f-reason").select_option(index=1)
    page.locator("#btn-not-done").tap()
    page.locator("[data-done='not_done']").wait_for()
    assert french_text_problems(page) == []
    page.locator("a[href='#/outbox']").tap()
    page.locator("#outbox-list li[data-type='intervention']").wait_for()
    assert page.locator("#sent-list li").count() == 0

    # The network comes back while the details are open: the lists follow without a reload.
    context.set_offline(False)
    page.locator("#sync-now").tap()
    page.locator("#outbox-empty").wait_for()
    page.locator("#sent-list li[data-type='intervention']").wait_for()
    assert page.locator("#outbox-list").count() == 0
    assert french_text_problems(page) == []
    # Focus stays where the agent was (the sync button), not thrown back to the title.
    assert page.evaluate("document.activeElement.id") == "sync-now"


def test_the_header_is_compact_and_the_sync_bar_stays_in_view(day, live_server):
    page, _context, field, _tomorrow = day
    page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}")
    page.locator("#stops li").first.wait_for()
    top = page.locator("#screen-title").bounding_box()["y"]
    assert top < 844 * 0.25, f"the title starts {top:.0f} px down"
    for target in ["#sync-now", "a[href='#/outbox']", "#lang-select"]:
        assert page.locator(target).bounding_box()["height"] >= 44
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(300)
    bar = page.locator(".outbox-bar").bounding_box()
    assert bar["y"] == pytest.approx(0, abs=1) and bar["height"] < 844 * 0.12
    page.screenshot(path=str(_shot("agent-stop-scrolled")))


def _shot(name: str):
    import tempfile
    from pathlib import Path

    return Path(tempfile.gettempdir()) / f"{name}.png"


def test_the_stop_screen_names_the_address_and_the_distance(day, live_server):
    page, _context, field, _tomorrow = day
    report = field.stops[0].report
    report.address = "12 rue de la Cathédrale"
    report.save(update_fields=["address"])
    page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}/s/i{field.stops[0].pk}")
    page.locator("#btn-start").wait_for()
    title = page.get_by_role("heading", level=1)
    assert title.inner_text() == "1. 12 rue de la Cathédrale"
    assert page.locator(".stop-category").inner_text() == field.stops[0].category.name
    # The agent stands about 1 km away (the context's geolocation): a distance and a direction.
    page.wait_for_function(
        "() => /\\d.*(m|km), direction/.test(document.querySelector('#stop-distance').textContent)"
    )
    assert french_text_problems(page) == []
    page.screenshot(path=str(_shot("agent-stop-address")))
    # Without an address the category names the stop.
    page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}/s/i{field.stops[1].pk}")
    page.wait_for_function("() => document.title.startsWith('2.')")
    assert title.inner_text() == f"2. {field.stops[1].category.name}"
    assert page.locator(".stop-category").count() == 0
