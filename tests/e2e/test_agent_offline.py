"""The field app offline, as an agent uses it: record with no network, reload, sync, replay."""

import io

import pytest
from PIL import Image

from interventions.models import Intervention, InterventionStatus, Photo
from interventions.services.interventions import intervention_delete
from tests.agent.conftest import make_field
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def photo_file(name: str, colour: tuple[int, int, int]) -> dict:
    """A camera-sized photo made here: the app downscales it to 2048 px before storing it."""
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), colour).save(out, "JPEG", quality=80)
    return {"name": name, "mimeType": "image/jpeg", "buffer": out.getvalue()}


@pytest.fixture
def agent_page(browser, live_server, community):
    field = make_field(community, n_stops=3)
    context = browser.new_context(
        locale="fr-FR",
        viewport={"width": 360, "height": 740},
        service_workers="allow",
        permissions=["geolocation"],
        geolocation={"longitude": 0.3400, "latitude": 46.5795},  # a street in Poitiers
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, live_server, field.agent.username, PASSWORD)
    page.goto(f"{live_server.url}/agent/")
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    yield page, context, field
    context.close()  # its last requests are waited for before the flush (tests/conftest.py)


def summary(page) -> dict:
    return page.locator("#outbox-summary").evaluate("el => ({...el.dataset})")


def record(page, base: str, mission_id: int, stop_key: str, n: int, surface: str = "") -> None:
    page.goto(f"{base}/agent/#/m/{mission_id}/s/{stop_key}")
    page.locator("#btn-start").click()
    page.locator("#photo-before").set_input_files(photo_file(f"before{n}.jpg", (200, 30 * n, 30)))
    page.wait_for_function("() => document.querySelector('#photo-before-count')?.textContent.includes('1')")
    page.locator("#btn-next").click()
    page.locator("#f-surface").fill(surface or f"{n + 1}.5")
    page.locator("#f-method").select_option("hydro")
    page.locator("#btn-next").click()
    page.locator("#photo-after").set_input_files(photo_file(f"after{n}.jpg", (30, 200, 30 * n)))
    page.wait_for_function("() => document.querySelector('#photo-after-count')?.textContent.includes('1')")
    page.locator("#btn-finish").click()
    page.locator("[data-done='done']").wait_for()


def test_three_interventions_recorded_offline_reach_the_server_once(agent_page, live_server):
    page, context, field = agent_page
    base = live_server.url
    page.locator(f"a[data-mission-id='{field.mission.pk}']").click()
    page.locator("#stops li[data-stop-key]").first.wait_for()
    keys = page.locator("#stops li[data-stop-key]").evaluate_all("els => els.map(e => e.dataset.stopKey)")
    assert keys == [f"i{s.pk}" for s in field.stops]  # the round's order

    context.set_offline(True)
    for n, key in enumerate(keys):
        record(page, base, field.mission.pk, key, n)

    # Closing and reopening the app with no network: the shell comes from the service worker,
    # the outbox from IndexedDB.
    page.reload()
    page.locator("#app[data-ready='true']").wait_for()
    assert summary(page)["interventions"] == "3" and summary(page)["photos"] == "6"
    assert Intervention.objects.filter(status=InterventionStatus.DONE).count() == 0

    # The first photo upload dies on the way (network cut mid-sync).
    aborted = []

    def cut_first_photo(route):
        if not aborted:
            aborted.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/agent/api/photos/**", cut_first_photo)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.body.dataset.lastSync === 'network'")
    assert aborted
    assert Photo.objects.count() < 6

    page.locator("#sync-now").click()
    page.wait_for_function("() => document.querySelector('#outbox-summary').dataset.photos === '0'")
    done = Intervention.objects.filter(mission=field.mission, status=InterventionStatus.DONE)
    assert sorted(done.values_list("pk", flat=True)) == sorted(s.pk for s in field.stops)
    assert Photo.objects.filter(intervention__in=field.stops).count() == 6
    assert sorted(Photo.objects.values_list("kind", flat=True)) == ["after"] * 3 + ["before"] * 3
    assert Intervention.objects.get(pk=field.stops[2].pk).surface_m2 == 3.5

    # Replaying everything that was sent creates nothing more.
    page.goto(f"{base}/agent/#/outbox")
    page.locator("#btn-resend").click()
    page.wait_for_function(
        "() => document.querySelector('#outbox-summary').dataset.photos === '0'"
        " && document.querySelector('#outbox-summary').dataset.interventions === '0'"
        " && !document.querySelector('#sync-now').hasAttribute('aria-busy')"
    )
    assert Intervention.objects.filter(community=field.community).count() == 3
    assert Photo.objects.count() == 6


def test_a_finished_stop_says_whether_its_work_has_left_the_device(agent_page, live_server):
    """ "Will be sent with the next sync" while it waits; "not sent", with the server's reason
    a tap away, on the screen still open when the sync is refused (the stop was deleted in the
    office while the agent worked offline); "sent" once the sync took it."""
    page, context, field = agent_page
    base = live_server.url
    page.locator(f"a[data-mission-id='{field.mission.pk}']").click()  # the mission, kept on the device
    page.locator("#stops li[data-stop-key]").first.wait_for()
    context.set_offline(True)
    first, second = (f"i{s.pk}" for s in field.stops[:2])
    record(page, base, field.mission.pk, first, 0)
    record(page, base, field.mission.pk, second, 1)
    state = page.locator("#work-state")
    assert state.get_attribute("data-state") == "waiting"
    assert (
        state.inner_text()
        == "Fait — Intervention enregistrée\u00a0; elle sera envoyée à la prochaine synchronisation."
    )
    intervention_delete(intervention=field.stops[1])  # by a dispatcher, meanwhile

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#work-state[data-state='error']").wait_for()
    assert state.inner_text().startswith(
        "Fait — Intervention non envoyée\u00a0: le serveur en a refusé une partie."
    )
    assert Intervention.all_objects.get(pk=field.stops[1].pk).status == InterventionStatus.SCHEDULED
    assert_accessible(page)
    page.locator("#work-state-why").click()
    reason = page.locator("#outbox-list li[data-type='intervention'] .error")
    reason.wait_for()
    assert "Intervention\u00a0: Cette intervention a été supprimée au bureau." in reason.inner_text()

    page.goto(f"{base}/agent/#/m/{field.mission.pk}/s/{first}")
    page.locator("#work-state[data-state='sent']").wait_for()
    assert state.inner_text() == "Fait — Intervention envoyée."
    assert Intervention.objects.get(pk=field.stops[0].pk).status == InterventionStatus.DONE
    assert Photo.objects.filter(intervention=field.stops[0]).count() == 2


def test_the_form_keeps_a_surface_the_server_would_refuse(agent_page, live_server):
    """999 999 m² fits the field's pattern but not the server's limit: the form says so and
    stays, instead of the outbox holding an edit the server refuses."""
    page, _context, field = agent_page
    page.goto(f"{live_server.url}/agent/#/m/{field.mission.pk}/s/i{field.stops[0].pk}")
    page.locator("#btn-start").click()
    page.locator("#btn-next").click()  # no photo yet: on to the form
    surface = page.locator("#f-surface")
    surface.fill("999999")
    page.locator("#btn-next").click()
    assert surface.evaluate("el => el.validationMessage") == "Entre 0,01 et 100\u202f000 m²."
    assert page.locator("[data-step='form']").count() == 1  # still on the form
    surface.fill("12,5")
    page.locator("#btn-next").click()
    page.locator("[data-step='after']").wait_for()


def test_every_agent_screen_is_accessible(agent_page, live_server):
    page, _context, field = agent_page
    base = live_server.url
    page.locator("#app[data-ready='true']").wait_for()
    assert_accessible(page)
    page.goto(f"{base}/agent/#/m/{field.mission.pk}")
    page.locator("#stops li").first.wait_for()
    go = page.locator("#stops li").first.locator("a[data-go='geo']")
    assert go.get_attribute("href").startswith("geo:46.58")
    assert "m" in page.locator("#stops li .distance").first.inner_text()
    assert_accessible(page)
    page.goto(f"{base}/agent/#/m/{field.mission.pk}/s/i{field.stops[0].pk}")
    page.locator("#btn-start").wait_for()
    assert_accessible(page)
    page.locator("#btn-start").click()
    page.locator("#photo-before").wait_for(state="attached")
    assert_accessible(page)
    page.locator("#btn-next").click()
    page.locator("#f-surface").wait_for()
    assert page.locator("#f-support").input_value() == "wall"  # default from the report
    assert_accessible(page)
    page.goto(f"{base}/agent/#/report")
    page.locator("#report-form").wait_for()
    assert_accessible(page)
    page.goto(f"{base}/agent/#/outbox")
    page.locator("#btn-resend").wait_for()
    assert_accessible(page)
    # Keyboard: the sync button is reachable and every target is at least 44 px high.
    for selector in ["#sync-now", "#btn-resend"]:
        assert page.locator(selector).bounding_box()["height"] >= 44


def test_a_new_tag_reported_offline_reaches_the_server(agent_page, live_server):
    from interventions.models import Report

    page, context, field = agent_page
    page.goto(f"{live_server.url}/agent/#/report")
    page.locator("#r-category option").nth(1).wait_for(state="attached")
    # The position is written with the page's decimal separator (a comma in French).
    page.wait_for_function("() => /0[,.]34/.test(document.querySelector('#r-position').textContent)")
    context.set_offline(True)
    page.locator("#r-category").select_option(index=1)
    page.locator("#r-photo").set_input_files(photo_file("tag.jpg", (10, 10, 200)))
    page.wait_for_function("() => document.querySelector('#r-photo-count').textContent.includes('1')")
    page.locator("#r-description").fill("Tag neuf sur le transformateur")
    page.locator("#r-submit").click()
    page.wait_for_function("() => document.querySelector('#outbox-summary').dataset.reports === '1'")
    context.set_offline(False)
    page.locator("#sync-now").click()
    page.wait_for_function("() => document.querySelector('#outbox-summary').dataset.photos === '0'")
    report = Report.objects.get(description="Tag neuf sur le transformateur")
    assert report.source == "agent" and report.photos.count() == 1
