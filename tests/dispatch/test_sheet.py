"""The mission sheet: HTML for print and PDF, stops in round order, addresses, photos."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from accounts.models import Role
from interventions.models import Mission, Photo, PhotoKind
from tests.dispatch.helpers import at, box_4326
from tests.factories import CategoryFactory, InterventionFactory, ReportFactory, TeamFactory, member
from tests.geo.routing_grids import grid

MISSIONS = "/api/v1/missions/"


def browser_for(community, role=Role.DISPATCHER, **kwargs):
    client = Client()
    user = member(community, role, **kwargs)
    client.force_login(user)
    return client, user


@pytest.fixture
def optimised(api_as, community, settings, tmp_path):
    """A walking round of four jobs on a 3 x 3 grid (100 m blocks), optimised."""
    settings.MEDIA_ROOT = tmp_path
    grid(community, n=3, step=100)  # streets named "Rue de la Cathédrale" by the factory
    team = TeamFactory(community=community, depot=at(0, 0))
    category = CategoryFactory(community=community, name="Tag", service_minutes=10)
    with_address = ReportFactory(
        community=community, category=category, geom=at(250, 5), address="12 rue Carnot", support="wall"
    )
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, "JPEG")
    Photo.objects.create(
        community=community,
        report=with_address,
        kind=PhotoKind.BEFORE,
        taken_at=timezone.now(),
        file=ContentFile(buffer.getvalue(), name="tag.jpg"),
    )
    for x, y in [(5, 150), (300, 295), (150, 205)]:
        InterventionFactory(community=community, category=category, geom=at(x, y), surface_m2=4)
    client = api_as(community)
    body = {"zone": box_4326(-10, -10, 310, 310), "date": "2025-06-02", "team": team.pk, "profile": "walk"}
    created = client.post(MISSIONS, body, format="json")
    assert created.status_code == 201, created.json()
    optimised = client.post(f"{MISSIONS}{created.json()['id']}/optimize/", {}, format="json")
    assert optimised.status_code == 200, optimised.json()
    mission = Mission.objects.get(pk=created.json()["id"])
    return mission, optimised.json()["properties"]["stops"], team


def refs_in_order(stops):
    ordered = sorted(stops, key=lambda s: s["sequence"])
    return [
        f"Intervention {s['intervention']}" if s["intervention"] else f"Report {s['report']}" for s in ordered
    ]


def test_sheet_html_lists_stops_in_round_order_with_what_to_do(optimised, community):
    mission, stops, _ = optimised
    client, _ = browser_for(community)

    response = client.get(f"/dispatch/missions/{mission.pk}/sheet/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    sequences = [int(s) for s in re.findall(r'data-sequence="(\d+)"', html)]
    assert sequences == [1, 2, 3, 4]
    positions = [html.index(ref) for ref in refs_in_order(stops)]
    assert positions == sorted(positions)
    assert "12 rue Carnot" in html  # the report's own address
    assert html.count("Rue de la Cathédrale") == 3  # the others: the nearest street
    assert html.count('src="data:image/jpeg;base64,') == 1  # the report's photo
    # Numbered stops on the map, each drawn as its mark (core/palette.py), all in the legend.
    svg = html.split('class="sheet-map-svg"')[1].split("</svg>")[0]
    assert len(re.findall(r'<g data-mark="stop_\w+">', svg)) == 4
    legend = html.split('class="map-legend')[1].split("</ul>")[0]
    assert set(re.findall(r'data-mark="(\w+)"', svg)) <= set(re.findall(r'data-legend="(\w+)"', legend))
    assert "Tag" in html and "4.00 m²" in html


def test_sheet_pdf_has_the_stops_in_order(optimised, community):
    mission, stops, _ = optimised
    client, _ = browser_for(community)

    response = client.get(f"/dispatch/missions/{mission.pk}/sheet.pdf", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"\s+", " ", text)
    positions = [text.index(ref) for ref in refs_in_order(stops)]
    assert positions == sorted(positions)
    assert "12 rue Carnot" in text


def test_sheet_access(optimised, community, other_community):
    mission, _, team = optimised
    url = f"/dispatch/missions/{mission.pk}/sheet/"
    agent_client, agent = browser_for(community, Role.AGENT)
    assert agent_client.get(url).status_code == 404  # not their team's mission
    team.members.add(agent)
    assert agent_client.get(url).status_code == 200
    assert browser_for(other_community)[0].get(url).status_code == 404
    assert browser_for(other_community)[0].get(url.replace("sheet/", "sheet.pdf")).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_board_page_is_for_planners(community):
    assert browser_for(community)[0].get("/dispatch/").status_code == 200
    assert browser_for(community, Role.ADMIN)[0].get("/dispatch/").status_code == 200
    assert browser_for(community, Role.AGENT)[0].get("/dispatch/").status_code == 403
    assert browser_for(community, Role.VIEWER)[0].get("/dispatch/").status_code == 403


def test_menu_shows_dispatch_to_dispatchers_only(community):
    assert 'href="/dispatch/"' in browser_for(community)[0].get("/").content.decode()
    assert 'href="/dispatch/"' not in browser_for(community, Role.AGENT)[0].get("/").content.decode()
