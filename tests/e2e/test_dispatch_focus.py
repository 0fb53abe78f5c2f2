"""Focus on the dispatcher's board (RGAA 7.5 and 12.8, issue 21 findings 2 and 5): after each
action pressed with the keyboard, the focus stays where the work goes on, never on <body>, the
panel does not jump back to its top, and the optimisation's result is announced."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible
from tests.e2e.test_dispatch import city, open_board, screen  # noqa: F401 — the same town and board

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Where the panel and the page are scrolled, and what has the focus.
WHERE = """() => ({
  panel: document.getElementById("dispatch-panel").scrollTop,
  page: window.scrollY,
  focus: document.activeElement === document.body ? "BODY" : document.activeElement.id,
})"""


def press(page, button: str) -> dict:
    """Focus `button` (which scrolls it into view), press Enter; return the scroll before."""
    page.locator(f"#{button}").focus()
    before = page.evaluate(WHERE)
    assert before["focus"] == button
    page.keyboard.press("Enter")
    return before


def assert_focus_kept(page, before: dict, expected: str) -> None:
    now = page.evaluate(WHERE)
    assert now["focus"] != "BODY", f"the focus fell on <body> (expected #{expected})"
    assert now["focus"] == expected, now
    for box in ("panel", "page"):
        if before[box] > 0:
            assert now[box] > 0, f"the {box} jumped back to its top: {before} -> {now}"


def test_focus_stays_where_the_work_goes_on(page, live_server, community, city):  # noqa: F811
    team, inside, outside, user = city
    page.set_viewport_size({"width": 1280, "height": 640})  # a panel that scrolls
    open_board(page, live_server, user)
    corners = [(-30, -30), (380, -30), (380, 380), (-30, 380)]

    # A polygon drawn on the map, closed with "Terminer le polygone": on to the zone's jobs.
    press(page, "draw-polygon")
    for dx, dy in corners:
        page.mouse.click(*screen(page, dx, dy))
        page.wait_for_timeout(450)  # not a double click
    expect(page.locator("#draw-finish")).to_be_enabled()
    before = press(page, "draw-finish")
    assert_focus_kept(page, before, "plan-heading")
    expect(page.locator("#preview-list li")).to_have_count(4)
    expect(page.locator("#polygon-tools")).to_be_hidden()

    # A drawing given up with "Annuler le tracé": back to the button that started it.
    press(page, "draw-polygon")
    page.mouse.click(*screen(page, 500, 500))
    before = press(page, "draw-cancel")
    assert_focus_kept(page, before, "draw-polygon")
    expect(page.locator("#polygon-tools")).to_be_hidden()

    # A mission refused by the server (the shift ends before it starts): the field in error.
    page.locator("#plan-team").select_option(str(team.pk))
    page.locator("#plan-profile").select_option("walk")
    page.locator("#plan-shift-end").fill("07:00")
    before = press(page, "plan-create")
    expect(page.locator("#plan-shift-end")).to_have_attribute("aria-invalid", "true")
    assert_focus_kept(page, before, "plan-shift-end")
    assert page.locator("#plan-shift-end").get_attribute("aria-describedby") == "plan-status"
    expect(page.locator("#plan-status")).to_contain_text("Le service finit avant de commencer.")

    # Half an hour for four 10-minute jobs and the walk: some stops are left out.
    page.locator("#plan-shift-end").fill("08:30")
    before = press(page, "plan-create")
    page.wait_for_selector("#mission-panel[data-status=draft]")
    expect(page.locator("#mission-heading")).to_be_focused()
    assert_focus_kept(page, before, "mission-heading")
    assert page.locator("#plan-shift-end").get_attribute("aria-invalid") is None

    # "Optimiser la tournée": the progress at once, then the result, announced with its counts.
    before = press(page, "mission-optimize")
    assert before["panel"] > 0  # the panel was scrolled down to the mission: it must stay there
    assert page.evaluate(WHERE)["focus"] == "optimise-stage"
    expect(page.locator("#optimise-progress")).to_be_visible()
    page.wait_for_selector("#plan-summary[data-distance]", timeout=30_000)
    expect(page.locator("#plan-summary")).to_be_focused()
    assert_focus_kept(page, before, "plan-summary")
    ordered = page.locator("#stop-list li:not([data-state=unassigned])").count()
    left_out = page.locator("#stop-list li[data-state=unassigned]").count()
    assert ordered >= 1 and left_out >= 1 and ordered + left_out == 4
    status = page.locator("#plan-status")
    assert status.get_attribute("role") == "status"  # a polite live region
    expect(status).to_have_text(f"Tournée optimisée : {ordered} étapes ordonnées, {left_out} écartées.")
    assert re.search(
        rf"{ordered} étapes ordonnées, {left_out} écartées", page.locator("#plan-summary").inner_text()
    )

    # "Envoyer à l'équipe": the button is disabled once dispatched; the mission's heading.
    before = press(page, "mission-dispatch")
    page.wait_for_selector("#mission-panel[data-status=dispatched]")
    expect(page.locator("#mission-heading")).to_be_focused()
    assert_focus_kept(page, before, "mission-heading")
    expect(page.locator("#mission-status")).to_have_text("Transmise")
    assert_accessible(page)
