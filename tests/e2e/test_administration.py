"""A community runs itself: from a fresh demo, demo-admin creates an agent, puts them in a new
team with a depot picked on the map, creates a category; the agent logs in and sees the
team's mission, with a password and then through the demo's local OpenID Connect provider
(fixtures/idp/, started as `make idp` does, on loopback). Real browser (Debian chromium,
French), desktop and phone widths."""

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import IdentityProvider, Membership, Role, Team, User
from audit.models import AuditEvent
from benchmarks.harness import free_port
from fixtures.demo_idp import demo_identity_provider_set, demo_idp_config, demo_issuer, idp_start
from geo.models import StreetName
from interventions.models import Category, MissionStatus
from interventions.services.missions import mission_create, mission_transition
from tests.e2e.conftest import assert_accessible, login
from tests.live_server_idle import wait_for_server_idle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Screenshots to look at (desktop and phone), in the system's temporary folder.
SHOTS = str(Path(tempfile.gettempdir()) / "ronde-administration")


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--scale", "0.05", verbosity=0)


def shot(page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}-{name}.png", full_page=True)


def test_demo_admin_sets_up_an_agent_who_then_sees_the_teams_mission(
    browser, page, live_server, demo, tmp_path
):
    login(page, live_server, "demo-admin", settings.RONDE_DEMO_PASSWORD)
    # The home page's promise leads to the administration.
    page.locator("main a[href='/administration/']").first.click()
    expect(page.locator("h1")).to_contain_text("Administration de")
    assert_accessible(page)

    # 1. A new agent, with a password given now.
    page.locator(".admin-nav a[href='/administration/users/']").click()
    page.locator("#user-new-link").click()
    page.locator("#id_username").fill("nadia")
    page.locator("#id_first_name").fill("Nadia")
    page.locator("#id_last_name").fill("Martin")
    page.locator("#id_email").fill("nadia@ronde-sur-clain.example")
    page.locator("#id_role").select_option(Role.AGENT)
    page.get_by_label("Définir un mot de passe maintenant").check()
    page.locator("#id_password1").fill("tournée-du-matin-42")
    page.locator("#id_password2").fill("tournée-du-matin-42")
    assert_accessible(page)
    page.locator("#user-save").click()
    expect(page.locator(".messages")).to_contain_text("nadia a été créé·e")
    expect(page.locator("tr[data-username='nadia'] .user-role")).to_have_text("Agent de terrain")
    shot(page, "users-desktop")

    # A second user with the same username: a clear message on the field.
    page.locator("#user-new-link").click()
    page.locator("#id_username").fill("NADIA")
    page.locator("#id_email").fill("autre@ronde-sur-clain.example")
    page.locator("#user-save").click()
    expect(page.locator("[data-error-for='username']")).to_contain_text("déjà pris")

    # 2. A new team with Nadia, its depot placed with a click on the map, then typed as an
    # address (keyboard only: the search box's list, arrow down, Enter).
    page.locator(".admin-nav a[href='/administration/teams/']").click()
    page.locator("#team-new-link").click()
    page.locator("#id_name").fill("Brigade Est")
    page.get_by_label("Nadia Martin (nadia)").check()
    expect(page.locator("#id_active")).to_be_checked()  # active by default
    page.wait_for_selector("#depot-map[data-state=ready]", timeout=30_000)
    page.locator("#depot-map canvas").click()
    expect(page.locator("#id_depot_lon")).not_to_have_value("")
    expect(page.locator("#id_depot_lat")).not_to_have_value("")
    clicked = page.locator("#id_depot_lon").input_value()
    # A street whose name is in no other one's: the first in the list, whatever the ranking.
    streets = list(StreetName.objects.filter(community__slug="demo").order_by("name"))
    street = next(s for s in streets if sum(s.name.lower() in o.name.lower() for o in streets) == 1)
    search = page.get_by_label("Adresse du dépôt")
    search.fill(street.name)
    expect(page.locator("#address-search-list [role=option]").first).to_contain_text(street.name)
    search.press("ArrowDown")
    search.press("Enter")
    expect(search).to_have_value(street.name)
    expect(page.locator("#id_depot_lon")).not_to_have_value(clicked)
    typed_at = street.geom.transform(4326, clone=True)
    assert float(page.locator("#id_depot_lon").input_value()) == pytest.approx(typed_at.x, abs=1e-5)
    assert float(page.locator("#id_depot_lat").input_value()) == pytest.approx(typed_at.y, abs=1e-5)
    expect(page.locator("#depot-map")).to_have_attribute("data-state", "ready")
    shot(page, "team-form-desktop")
    assert_accessible(page)
    page.locator("#team-save").click()
    expect(page.locator(".messages")).to_contain_text("Brigade Est")
    team = Team.objects.get(name="Brigade Est", community__slug="demo")
    assert team.active and team.depot is not None
    assert list(team.members.values_list("username", flat=True)) == ["nadia"]
    assert team.community.territory.covers(team.depot)
    assert team.depot.distance(street.geom) < 1  # metres (Lambert-93): the address picked

    # 3. A new work category, open to citizen reports.
    page.locator(".admin-nav a[href='/administration/categories/']").click()
    page.locator("#category-new-link").click()
    page.locator("#id_code").fill("affichage")
    page.locator("#id_name").fill("Affichage sauvage")
    page.locator("#id_service_minutes").fill("20")
    page.locator("#category-save").click()
    expect(page.locator("#category-table tr[data-code='affichage']")).to_contain_text("20 min")
    assert Category.objects.get(code="affichage", community__slug="demo").public

    # 4. The audit trail says who did all this.
    page.locator(".admin-nav a[href='/administration/audit/']").click()
    expect(page.locator("#audit-table")).to_contain_text("Brigade Est")
    expect(page.locator("#audit-table")).to_contain_text("affichage")
    assert AuditEvent.objects.filter(username="demo-admin", object_repr__contains="nadia").exists()
    assert_accessible(page)
    shot(page, "audit-desktop")

    # The same pages at phone width: nothing wider than the screen.
    page.set_viewport_size({"width": 360, "height": 740})
    for name, url in (("users", "/administration/users/"), ("team", f"/administration/teams/{team.pk}/")):
        page.goto(f"{live_server.url}{url}")
        if name == "team":
            page.wait_for_selector("#depot-map[data-state=ready]", timeout=30_000)
            page.wait_for_load_state("networkidle")
        shot(page, f"{name}-phone")
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > 361 && !e.closest('.table-scroll *'))
                .map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"""
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide

    # A dispatcher plans the new team's round (their own job, outside this page set).
    depot = team.depot
    zone = Polygon.from_bbox((depot.x - 400, depot.y - 400, depot.x + 400, depot.y + 400))
    zone.srid = depot.srid
    mission, _conflicts = mission_create(
        community=team.community, zone=zone, date=dt.date.today(), team=team, name="Tournée de Nadia"
    )
    mission_transition(mission=mission, status=MissionStatus.DISPATCHED)

    # 5. Nadia logs in on her phone and sees her team's mission.
    phone = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        agent = phone.new_page()
        agent.set_default_timeout(15_000)
        login(agent, live_server, "nadia", "tournée-du-matin-42")
        _sees_the_mission(agent, live_server, mission.pk)
        agent.screenshot(path=f"{SHOTS}-agent-phone.png")
    finally:
        phone.close()
        wait_for_server_idle()
    assert Membership.objects.get(user=User.objects.get(username="nadia")).role == Role.AGENT

    # 6. The same through the demo's identity provider: she is in its directory by her address.
    with _local_identity_provider(team.community, live_server, tmp_path) as provider:
        phone = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, has_touch=True)
        try:
            agent = phone.new_page()
            agent.set_default_timeout(30_000)
            agent.goto(f"{live_server.url}/agent/")
            expect(agent).to_have_url(f"{live_server.url}/accounts/login/?next=/agent/")
            agent.get_by_role("link", name=f"Se connecter avec {provider.name}").click()
            # At the provider (another port): its own login form.
            expect(agent.locator("h1")).to_have_text("Annuaire local (démo)")
            assert agent.url.startswith(provider.issuer.removesuffix("/openid") + "/login/")
            agent.get_by_label("Identifiant ou adresse e-mail").fill("nadia@ronde-sur-clain.example")
            agent.get_by_label("Mot de passe").fill(settings.RONDE_DEMO_PASSWORD)
            agent.get_by_role("button", name="Se connecter").click()
            # Back in Ronde, where she was going, as herself.
            expect(agent).to_have_url(f"{live_server.url}/agent/", timeout=30_000)
            expect(agent.locator("header")).to_contain_text("nadia")
            _sees_the_mission(agent, live_server, mission.pk)
            agent.screenshot(path=f"{SHOTS}-agent-oidc-phone.png")
        finally:
            phone.close()
            wait_for_server_idle()


def _sees_the_mission(agent, live_server, mission_id: int) -> None:
    agent.goto(f"{live_server.url}/agent/")
    link = agent.locator(f"a[data-mission-id='{mission_id}']")
    expect(link).to_be_visible(timeout=30_000)
    expect(link).to_contain_text("Tournée de Nadia")


@contextmanager
def _local_identity_provider(community, live_server, folder: Path) -> Iterator[IdentityProvider]:
    """The demo's provider on a free loopback port, configured as `manage.py demo_idp` does."""
    port = free_port()
    provider = demo_identity_provider_set(community=community, issuer=demo_issuer(port))
    config = demo_idp_config(
        provider=provider, port=port, ronde_url=live_server.url, db=folder / "idp.sqlite3"
    )
    (folder / "idp.json").write_text(json.dumps(config))
    process = idp_start(folder / "idp.json")
    try:
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_second_factor_enrolment_in_the_browser(page, live_server, community):
    """A community that asks for a code: its administrator enrols on a phone-sized screen."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import PASSWORD, member

    community.settings = {"require_totp": True}
    community.save()
    admin = member(community, Role.ADMIN, username="cheffe")
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, live_server, "cheffe", PASSWORD)
    page.goto(f"{live_server.url}/administration/")
    expect(page).to_have_url(f"{live_server.url}/accounts/two-factor/?next=%2Fadministration%2F")
    expect(page.locator("h1")).to_have_text("Second facteur")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=admin)
    assert len(secret) == 32 and secret.isalnum()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "two-factor-phone")
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(device.bin_key):06d}")
    page.locator("#two-factor-submit").click()
    expect(page).to_have_url(f"{live_server.url}/administration/")
    expect(page.locator("#totp-state")).to_have_attribute("data-required", "1")
