"""Photos: only for those who may see the intervention; no guessable public URL."""

import time
import uuid

import pytest
from django.test import Client

from accounts.models import Role
from interventions.photo_access import photo_url
from tests.factories import member
from tests.security.world import build_side, jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def sides(db):
    return build_side(slug="own-photo", marker=""), build_side(slug="other-photo", marker="ZZ")


def logged_in(community, role):
    client = Client()
    client.force_login(member(community, role))
    return client


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER])
def test_members_get_their_communitys_photo(sides, role):
    own, _ = sides
    photo = own["photo"]
    response = logged_in(own.community, role).get(photo_url(photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == jpeg_bytes()
    assert "private" in response["Cache-Control"]


def test_another_community_and_anonymous_get_nothing(sides):
    own, other = sides
    outsider = logged_in(other.community, Role.ADMIN)
    assert outsider.get(photo_url(own["photo"])).status_code == 404
    assert Client().get(photo_url(own["photo"])).status_code == 401


def test_the_stored_file_is_not_served_as_media(sides):
    own, _ = sides
    photo = own["photo"]
    client = logged_in(own.community, Role.ADMIN)
    assert client.get("/media/" + photo.file.name).status_code == 404
    assert photo.file.url not in client.get(f"/agent/api/missions/{own['mission'].pk}/").content.decode()


def test_photos_of_a_deleted_intervention_are_hidden(sides):
    from interventions.services.deletion import intervention_delete

    own, _ = sides
    intervention_delete(intervention=own["intervention"])
    assert logged_in(own.community, Role.ADMIN).get(photo_url(own["photo"])).status_code == 404


def test_signed_links_work_without_login_and_expire(sides, settings):
    own, _ = sides
    link = photo_url(own["photo"], signed=True)
    assert Client().get(link).status_code == 200
    tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    assert Client().get(tampered).status_code == 403
    other_photo = photo_url(own["photo"], size="thumb", signed=True)
    assert Client().get(link.replace("/full/", "/thumb/")).status_code == 403  # signed for "full" only
    assert Client().get(other_photo).status_code == 200
    settings.RONDE_PHOTO_LINK_MAX_AGE = 0
    time.sleep(1.1)
    assert Client().get(link).status_code == 403


def test_agent_upload_answers_with_the_checked_url(community):
    from tests.agent.conftest import (
        edit_body,
        make_field,
        put_intervention,
        put_photo,
    )
    from tests.agent.conftest import (
        jpeg_bytes as agent_jpeg,
    )

    field = make_field(community)
    key = uuid.uuid4()
    assert put_intervention(field.client, key, edit_body(field, field.stops[0])).status_code == 201
    response = put_photo(field.client, uuid.uuid4(), agent_jpeg(), intervention=key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == f"/photos/{body['id']}/full/"
    assert field.client.get(body["url"]).status_code == 200
    assert field.client.get(body["thumbnail_url"]).status_code == 200
