"""A person who opens a page their role may not use gets a page that says so, not JSON."""

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db


def browser_as(community, role) -> Client:
    client = Client()
    assert client.login(username=member(community, role).username, password=PASSWORD)
    return client


def test_a_viewer_opening_the_field_app_gets_an_explanation_page(community):
    response = browser_as(community, Role.VIEWER).get("/agent/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert b"This page is not for your role" in response.content
    assert b'href="/"' in response.content


def test_an_agent_opening_the_dispatch_board_gets_it_in_french_by_default(community):
    response = browser_as(community, Role.AGENT).get("/dispatch/")
    assert response.status_code == 403
    assert "text/html" in response["Content-Type"]
    assert response.content.decode().count("<h1>") == 1


def test_the_field_app_still_opens_for_field_roles(community):
    for role in (Role.AGENT, Role.DISPATCHER, Role.ADMIN):
        assert browser_as(community, role).get("/agent/").status_code == 200
