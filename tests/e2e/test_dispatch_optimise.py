"""The dispatcher optimises a round in a real browser while the real task queue runs it in
the background: the board says when no worker runs, shows each stage with a progress bar
(a polite live region), then the round as before."""

import threading
import time

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import expect

from geo.routing import planner
from interventions.models import Mission
from tests.dispatch.helpers import box_4326
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_dispatch import city, open_board  # noqa: F401 — the same town and board

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def start_worker() -> threading.Thread:
    """One `db_worker` loop in a thread of the test process (it shares the monkeypatches)."""

    def work() -> None:
        try:
            Worker(
                queue_names=["default"],
                interval=0.2,
                batch=False,
                backend_name="default",
                startup_delay=False,
                max_tasks=1,
                worker_id="e2e-worker",
                excluded_queue_names=[],
            ).run()
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_optimising_shows_the_waiting_queue_the_stages_then_the_round(
    page,
    live_server,
    community,
    city,  # noqa: F811 — the fixture imported above
    api_as,
    settings,
    monkeypatch,
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.RONDE_WORKER_STALLED_S = 1
    team, inside, outside, user = city
    created = api_as(community).post(
        "/api/v1/missions/",
        {"zone": box_4326(-10, -10, 400, 400), "date": "2025-06-02", "team": team.pk, "profile": "walk"},
        format="json",
    )
    assert created.status_code == 201
    mission_id = created.json()["id"]
    # The solver takes its time, as on a big zone: long enough to see the stage on screen.
    real_solve = planner.solve

    def slow_solve(**kwargs):
        time.sleep(2.5)
        return real_solve(**kwargs)

    monkeypatch.setattr(planner, "solve", slow_solve)

    open_board(page, live_server, user)
    page.locator("#board-date").fill("2025-06-02")
    page.locator("#board-date").dispatch_event("change")
    page.locator(f"#mission-list button[data-mission='{mission_id}']").click()
    page.wait_for_selector("#mission-panel[data-status=draft]")
    page.locator("#mission-optimize").click()

    # No worker yet: queued, and after RONDE_WORKER_STALLED_S the board says nobody runs it.
    progress = page.locator("#optimise-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("data-stage", "waiting")
    expect(page.locator("#optimise-stage")).to_have_text("En attente du serveur de calcul… 0 %")
    assert page.locator("#optimise-stage").get_attribute("role") == "status"  # polite live region
    expect(page.locator("#optimise-stalled")).to_be_visible(timeout=10_000)
    assert page.locator("#mission-optimize").is_disabled()  # a second press cannot start another

    worker = start_worker()
    expect(progress).to_have_attribute("data-stage", "solve", timeout=20_000)
    expect(page.locator("#optimise-stage")).to_have_text("Optimisation… 50 %")
    assert page.locator("#optimise-bar").get_attribute("value") == "50"
    expect(page.locator("#optimise-stalled")).to_be_hidden()

    # Done: the round as before (numbered stops, distance), the progress gone.
    page.wait_for_selector("#plan-summary[data-distance]", timeout=30_000)
    expect(progress).to_be_hidden()
    sequences = [li.get_attribute("data-sequence") for li in page.locator("#stop-list li").all()]
    assert sorted(sequences) == ["1", "2", "3", "4"]
    assert (
        page.locator("#plan-status").text_content() == "Tournée optimisée : 4 étapes ordonnées, 0 écartées."
    )
    assert not page.locator("#mission-optimize").is_disabled()
    worker.join(timeout=10)
    assert Mission.objects.get(pk=mission_id).optimized_at is not None
    assert_accessible(page)


def test_before_creating_the_board_says_how_many_jobs_fit_and_the_ways_out(
    page,
    live_server,
    community,
    city,  # noqa: F811 — the fixture imported above
):
    team, inside, outside, user = city
    open_board(page, live_server, user)
    for report in inside:
        page.locator(f"#job-r{report.pk}").check()
    page.locator("#zone-from-selection").click()
    expect(page.locator("#preview-list li")).to_have_count(4)
    page.locator("#plan-team").select_option(str(team.pk))
    page.locator("#plan-profile").select_option("walk")
    page.locator("#plan-shift-end").fill("08:30")  # half an hour for four 10-minute jobs and the walk
    page.locator("#plan-shift-end").dispatch_event("change")

    estimate = page.locator("#plan-estimate")
    expect(estimate).to_be_visible()
    expect(estimate).to_have_attribute("data-total", "4")
    expect(page.locator("#plan-estimate-text")).to_contain_text(
        "sur 4 tiennent dans la journée (1 agent(s), 08:00–08:30)"
    )
    fit = int(estimate.get_attribute("data-fit"))
    assert 1 <= fit < 4
    assert page.locator("#plan-estimate-text").get_attribute("role") == "status"
    expect(page.locator("#plan-estimate-ways")).to_contain_text("un agent de plus")
    expect(page.locator("#plan-estimate-ways")).to_contain_text("les laisser en attente")

    # A way out: one more agent; the form and the estimate follow.
    page.locator("#estimate-agent").click()
    expect(page.locator("#plan-agents")).to_have_value("2")
    expect(estimate).not_to_have_attribute("data-fit", str(fit))
    assert int(estimate.get_attribute("data-fit")) > fit

    # A job left unticked is not counted.
    page.locator(f"#preview-r{inside[0].pk}").uncheck()
    expect(estimate).to_have_attribute("data-total", "3")
    assert_accessible(page)
