"""Recurring missions in a real browser: from the board's zone to the list, edited, paused."""

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon
from playwright.sync_api import expect

from interventions.models import MissionTemplate
from tests.dispatch.helpers import at
from tests.e2e import test_dispatch
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_dispatch import open_board
from tests.factories import ZoneFactory, square

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

city = test_dispatch.city  # the same street grid, team, jobs and dispatcher (a fixture)


def set_days(page, days: set[int]) -> None:
    for day in range(7):
        box = page.locator(f"#id_weekdays_{day}")
        if day in days:
            box.check()
        else:
            box.uncheck()


def test_dispatcher_repeats_a_zone_then_edits_pauses_and_deletes_it(page, live_server, community, city):
    team, inside, outside, user = city
    district = ZoneFactory(
        community=community, name="Gare", geom=MultiPolygon(square(*at(50, 50).coords, 60))
    )
    open_board(page, live_server, user)

    # The zone comes from the board (here a district, with the keyboard) with the plan's team.
    page.locator("#zone-district").select_option(label="Gare")
    page.locator("#zone-district-use").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#preview-list li")).to_have_count(1)
    page.locator("#plan-team").select_option(str(team.pk))
    page.locator("#template-create").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/dispatch/templates/new/**")
    expect(page.locator("#id_zone_source_0")).to_be_checked()  # "the zone drawn on the map"
    expect(page.locator("#id_team")).to_have_value(str(team.pk))
    assert_accessible(page)

    # A mistake first: no day ticked. The page says which field, keeps the rest.
    page.locator("#id_name").fill("Gare du lundi")
    set_days(page, set())
    expect(page.locator("#id_starts_on")).not_to_have_value("")  # ISO date, whatever the language
    page.locator("#template-save").click()
    expect(page.locator("[data-error-for=weekdays]")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("Gare du lundi")
    assert_accessible(page)

    set_days(page, {0, 3})
    page.locator("#id_shift_start").fill("07:30")
    page.locator("#id_profile").select_option("walk")
    page.locator("#template-save").click()
    page.wait_for_url("**/dispatch/templates/")
    template = MissionTemplate.objects.get(community=community)
    assert (template.name, template.weekdays, template.team_id) == ("Gare du lundi", [0, 3], team.pk)
    assert (template.shift_start, template.profile, template.created_by_id) == (
        dt.time(7, 30),
        "walk",
        user.pk,
    )
    assert template.zone.transform(2154, clone=True).equals_exact(district.geom[0], 0.05)
    row = page.locator(f"#template-table tr[data-template='{template.pk}']")
    expect(row).to_have_attribute("data-active", "1")
    assert_accessible(page)

    # Edit with the keyboard: Thursdays only, from another district, later start.
    ZoneFactory(community=community, name="Centre", geom=MultiPolygon(square(*at(300, 300).coords, 80)))
    row.locator("a.template-edit").click()
    expect(page.locator("#id_zone_source_0")).to_be_checked()  # "keep the current zone"
    assert page.locator(".zone-map svg").count() == 1
    page.locator("#id_weekdays_0").focus()
    page.keyboard.press("Space")
    page.locator("label[for=id_zone_source_1]").click()
    page.locator("#id_district").select_option(label="Centre")
    page.locator("#id_shift_start").fill("09:00")
    assert_accessible(page)
    page.locator("#template-save").click()
    page.wait_for_url("**/dispatch/templates/")
    template.refresh_from_db()
    assert template.weekdays == [3] and template.shift_start == dt.time(9)
    assert template.zone.centroid.distance(at(300, 300)) < 1  # metres, Lambert-93

    # Pause, then resume, from the list.
    row.locator("button.template-toggle").click()
    expect(row).to_have_attribute("data-active", "0")
    template.refresh_from_db()
    assert not template.active
    row.locator("button.template-toggle").click()
    expect(row).to_have_attribute("data-active", "1")

    # Delete, after a confirmation page.
    row.locator("a.template-delete").click()
    assert_accessible(page)
    page.locator("#template-delete-confirm").click()
    expect(page.locator("#template-empty")).to_be_visible()
    assert not MissionTemplate.objects.exists()


def test_templates_pages_fit_a_phone(page, live_server, community, city):
    team, inside, outside, user = city
    page.set_viewport_size({"width": 360, "height": 740})
    open_board(page, live_server, user)
    page.locator("#templates-link").click()
    page.wait_for_url("**/dispatch/templates/")
    page.locator("#template-new-link").click()
    # The form page, not the list being replaced (its documentElement is null meanwhile).
    page.wait_for_url("**/dispatch/templates/new/**")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
