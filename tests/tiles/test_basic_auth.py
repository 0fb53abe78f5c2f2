"""HTTP Basic on tiles (accounts/basic.py), over real HTTP with the tile-hit shortcut
(tiles/hit_shortcut.py): an API token as the password is served by the shortcut exactly as by
the stack; a real password always goes to the stack (hash check and lockout live there)."""

import base64

import pytest

from accounts.basic import forget_all
from accounts.models import Role
from tests.factories import PASSWORD, member
from tests.tiles.hit_server import both_ways, get, same_answer, token_for

pytestmark = pytest.mark.django_db(transaction=True)
CHALLENGE = 'Basic realm="Ronde", charset="UTF-8"'


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def test_basic_with_a_token_is_served_by_the_shortcut(server, community, cached):
    base, app = server
    user = member(community, Role.AGENT)
    key = token_for(user)["Authorization"].split()[1]
    fast, slow, served = both_ways(base, app, cached, basic("anything", key))
    assert served and fast.status_code == 200
    same_answer(fast, slow)


def test_basic_with_a_password_goes_through_the_stack(server, community, cached):
    forget_all()
    base, app = server
    user = member(community, Role.VIEWER)
    before = app.served
    response = get(base, cached, basic(user.username, PASSWORD))
    assert response.status_code == 200 and response.headers["X-Tile-Cache"] == "hit"
    assert app.served == before  # the stack answered
    wrong = get(base, cached, basic(user.username, "not-the-password"))
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == CHALLENGE


def test_missing_or_unknown_credentials_are_challenged_the_same_both_ways(server, community, cached):
    base, app = server
    for headers in ({}, basic("token", "0" * 40)):
        fast, slow, served = both_ways(base, app, cached, headers)
        assert not served and fast.status_code == 401
        assert fast.headers["WWW-Authenticate"] == CHALLENGE
        same_answer(fast, slow)
