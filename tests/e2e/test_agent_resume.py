"""A stop re-opened on the phone resumes where it was: screen, photos, notes, times (#18)."""

import pytest

from interventions.models import Intervention, InterventionStatus, Photo
from tests.agent.conftest import make_field
from tests.e2e.conftest import login
from tests.e2e.test_agent_offline import photo_file
from tests.factories import PASSWORD
from tests.live_server_idle import wait_for_server_idle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTES = "Tag repeint en partie, reste une trace au bas du mur"


def phone(browser, geolocation: dict | None = None):
    """A 390 × 844 touch phone in French; by default about 1 km from the test stops."""
    return browser.new_context(
        locale="fr-FR",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        service_workers="allow",
        permissions=["geolocation"],
        geolocation=geolocation or {"longitude": 0.3400, "latitude": 46.5795},
    )


def open_app(context, live_server, username):
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, live_server, username, PASSWORD)
    page.goto(f"{live_server.url}/agent/")
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    page.locator("#app[data-ready='true']").wait_for()
    return page


def reopen(page):
    page.reload()
    page.locator("#app[data-ready='true']").wait_for()


def step(page) -> str:
    page.locator("#app[data-ready='true']").wait_for()
    return page.locator("p.step").get_attribute("data-step")


def at(page, name: str) -> None:
    page.locator(f"p.step[data-step='{name}']").wait_for()


def start_with_a_photo(page, url: str) -> None:
    page.goto(url)
    page.locator("#btn-start").tap()
    page.locator("#photo-before").set_input_files(photo_file("before.jpg", (200, 30, 30)))
    page.wait_for_function("() => document.querySelector('#photo-before-count')?.textContent.includes('1')")


def back_then_finish(page) -> None:
    """From the "after" screen: back to the notes and the before photo (both still there), then finish."""
    page.locator("#btn-prev").tap()
    assert page.locator("#f-notes").input_value() == NOTES
    page.locator("#btn-prev").tap()
    assert "1 photo" in page.locator("#photo-before-count").inner_text()
    page.locator("#btn-next").tap()
    page.locator("#btn-next").tap()
    page.locator("#photo-after").set_input_files(photo_file("after.jpg", (30, 200, 30)))
    page.wait_for_function("() => document.querySelector('#photo-after-count')?.textContent.includes('1')")
    page.locator("#btn-finish").tap()


def test_a_stop_resumes_where_it_was_after_reloads_online_and_offline(browser, live_server, community):
    field = make_field(community, n_stops=2)
    context = phone(browser)
    try:
        page = open_app(context, live_server, field.agent.username)
        stop = field.stops[0]
        start_with_a_photo(page, f"{live_server.url}/agent/#/m/{field.mission.pk}/s/i{stop.pk}")
        started_by = page.evaluate("Date.now()")  # the phone's clock (ms), before any reload

        # Reloaded on the "before" screen: the photo is still counted, no new start.
        reopen(page)
        at(page, "before")
        assert "1 photo" in page.locator("#photo-before-count").inner_text()
        page.locator("#btn-next").tap()
        page.locator("#f-notes").fill(NOTES)
        page.locator("#f-surface").fill("2,5")
        # Typed but not yet submitted: a reload keeps the draft too.
        page.wait_for_timeout(600)
        reopen(page)
        at(page, "form")
        assert page.locator("#f-notes").input_value() == NOTES
        assert page.locator("#f-surface").input_value() == "2,5"

        # Offline: the same screen from the device's store.
        context.set_offline(True)
        reopen(page)
        at(page, "form")
        assert page.locator("#f-notes").input_value() == NOTES
        page.locator("#btn-next").tap()
        at(page, "after")
        reopen(page)
        at(page, "after")
        finished_after = page.evaluate("Date.now()")  # after every reload but the last
        back_then_finish(page)
        page.locator("[data-done='done']").wait_for()
        reopen(page)
        page.locator("[data-done='done']").wait_for()

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_function(
            "() => document.querySelector('#outbox-summary').dataset.photos === '0'"
            " && document.querySelector('#outbox-summary').dataset.interventions === '0'"
        )
        saved = Intervention.objects.get(pk=stop.pk)
        assert saved.status == InterventionStatus.DONE
        assert saved.notes == NOTES
        assert saved.started_at is not None and saved.ended_at is not None
        # The start is the first tap, kept through four reloads (a reset would come after
        # `started_by`), and the end is the finish tap. Measured on the phone's clock: the whole
        # walk can take under 2 s on a fast machine, so no fixed duration is asserted.
        assert saved.started_at.timestamp() * 1000 <= started_by
        assert saved.ended_at.timestamp() * 1000 >= finished_after
        assert Photo.objects.filter(intervention=saved).count() == 2
    finally:
        context.close()
        wait_for_server_idle()


def test_a_stop_started_on_one_phone_resumes_on_another_from_the_server(browser, live_server, community):
    field = make_field(community, n_stops=2)
    first = phone(browser)
    try:
        page = open_app(first, live_server, field.agent.username)
        stop = field.stops[0]
        start_with_a_photo(page, f"{live_server.url}/agent/#/m/{field.mission.pk}/s/i{stop.pk}")
        page.locator("#btn-next").tap()
        page.locator("#f-notes").fill(NOTES)
        page.locator("#btn-next").tap()
        page.locator("#sync-now").tap()
        page.wait_for_function("() => document.querySelector('#outbox-summary').dataset.photos === '0'")
        started = Intervention.objects.get(pk=stop.pk).started_at
        assert started is not None
    finally:
        first.close()
        wait_for_server_idle()

    # A fresh device (nothing stored): the screen, the notes and the photo come from the server.
    second = phone(browser)
    try:
        page = open_app(second, live_server, field.agent.username)
        page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}")
        page.locator(f"#stops li[data-stop-key='i{stop.pk}'][data-status='in_progress']").wait_for()
        page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}/s/i{stop.pk}")
        page.locator("#app[data-ready='true']").wait_for()
        at(page, "after")
        back_then_finish(page)
        page.locator("#sync-now").tap()
        page.wait_for_function(
            "() => document.querySelector('#outbox-summary').dataset.photos === '0'"
            " && document.querySelector('#outbox-summary').dataset.interventions === '0'"
        )
    finally:
        second.close()
        wait_for_server_idle()
    saved = Intervention.objects.get(pk=stop.pk)
    assert saved.status == InterventionStatus.DONE
    assert saved.notes == NOTES
    assert saved.started_at == started
    assert Photo.objects.filter(intervention=saved).count() == 2
