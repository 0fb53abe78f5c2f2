"""Cached tiles answered before the middleware stack (tiles/hit_shortcut.py), over real HTTP.

The shortcut may only ever give the answer the full stack would give. Each test asks the same
question with the shortcut on and off (RONDE_TILE_HIT_SHORTCUT) and compares, and checks
which path answered (the wrapper counts what it served).
"""

import pytest
from django.test import override_settings

from accounts.models import Membership, Role
from tests.factories import InterventionFactory, member
from tests.tiles.helpers import at, url
from tests.tiles.hit_server import TILE, both_ways, get, same_answer, session_for, token_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cached_tile_is_served_by_the_shortcut_exactly_as_by_the_stack(server, community, cached):
    base, app = server
    headers = token_for(member(community, Role.AGENT))
    fast, slow, served = both_ways(base, app, cached, headers)
    assert served
    assert fast.headers["X-Tile-Cache"] == "hit"
    assert fast.headers["Content-Encoding"] == "gzip"
    assert fast.headers["X-Frame-Options"] == "DENY"  # the stack's headers are all there
    same_answer(fast, slow)
    # Without gzip, the same bytes decompressed; and a client that has the tile gets a 304.
    plain, plain_slow, served = both_ways(base, app, cached, {**headers, "Accept-Encoding": "identity"})
    assert served and "Content-Encoding" not in plain.headers
    assert plain.content == fast.content == plain_slow.content  # httpx gunzipped the first
    etag = {"If-None-Match": fast.headers["ETag"]}
    again, again_slow, served = both_ways(base, app, cached, {**headers, **etag})
    assert served and again.status_code == 304
    same_answer(again, again_slow)


def test_a_logged_in_session_is_served_and_a_changed_password_logs_it_out(server, community, cached):
    base, app = server
    user = member(community, Role.DISPATCHER)
    cookie = session_for(user)
    fast, slow, served = both_ways(base, app, cached, cookie)
    assert served and fast.status_code == 200
    same_answer(fast, slow)
    user.set_password("a-brand-new-password-42")
    user.save()
    before = app.served
    after = get(base, cached, cookie)
    assert app.served == before  # the stack decides: Django logs the session out
    assert after.status_code == 401


@pytest.mark.parametrize("who", ["anonymous", "bad token", "inactive", "other community", "no member"])
def test_callers_the_stack_refuses_are_refused_the_same(server, community, other_community, cached, who):
    base, app = server
    if who == "anonymous":
        headers: dict[str, str] = {}
    elif who == "bad token":
        headers = {"Authorization": "Token " + "0" * 40}
    elif who == "inactive":
        user = member(community, Role.ADMIN)
        headers = token_for(user)
        user.is_active = False
        user.save()
    elif who == "other community":  # asks for Poitiers by name, is only a member elsewhere
        headers = {**token_for(member(other_community, Role.ADMIN)), "X-Ronde-Community": community.slug}
    else:
        headers = token_for(member(community, Role.VIEWER))
        Membership.objects.filter(community=community).delete()
    fast, slow, served = both_ways(base, app, cached, headers)
    assert not served
    assert fast.status_code in (401, 403)
    same_answer(fast, slow)


def test_each_community_gets_its_own_cached_tile(server, community, other_community, cached):
    """A member of two communities picks one with ?community=: never the other's tile."""
    base, app = server
    InterventionFactory.create_batch(3, community=other_community, geom=at(5, 5))
    both = member(community, Role.VIEWER)
    Membership.objects.create(community=other_community, user=both, role=Role.VIEWER)
    headers = token_for(both)
    path = f"{cached}?community={other_community.slug}"
    assert get(base, path, headers).headers["X-Tile-Cache"] == "miss"
    fast, slow, served = both_ways(base, app, path, headers)
    assert served
    same_answer(fast, slow)
    mine, _slow, served = both_ways(base, app, f"{cached}?community={community.slug}", headers)
    assert served and mine.content != fast.content


def test_filters_bad_input_and_writes_go_through_the_stack(server, community, cached):
    base, app = server
    headers = token_for(member(community, Role.DISPATCHER))
    for path, status in (
        (f"{cached}?status=nonsense", 400),
        (url("nolayer", TILE), 404),
        ("/tiles/interventions/16/1/x.mvt", 400),
    ):
        fast, slow, served = both_ways(base, app, path, headers)
        assert not served and fast.status_code == status
        same_answer(fast, slow)
    filtered = f"{cached}?status=todo"
    assert get(base, filtered, headers).headers["X-Tile-Cache"] == "miss"
    assert both_ways(base, app, filtered, headers)[2]
    # A write purges the tile (database triggers): the next request is built afresh, by the stack.
    old = get(base, cached, headers)  # served by the shortcut, whose worker now holds the bytes
    InterventionFactory(community=community, geom=at(1, 1))
    before = app.served
    fresh = get(base, cached, headers)
    assert app.served == before and fresh.headers["X-Tile-Cache"] == "miss"
    # Then the shortcut serves the new tile, never the bytes it held (tiles/hit_memory.py).
    new, slow, served = both_ways(base, app, cached, headers)
    assert served and new.content != old.content and new.headers["ETag"] != old.headers["ETag"]
    same_answer(new, slow)


def test_with_no_memory_for_tiles_the_answers_are_the_same(server, community, cached):
    base, app = server
    headers = token_for(member(community, Role.VIEWER))
    with_memory, _slow, served = both_ways(base, app, cached, headers)
    assert served
    with override_settings(RONDE_TILE_HIT_MEMORY_MB=0):
        without, slow, served = both_ways(base, app, cached, headers)
    assert served
    same_answer(without, slow)
    same_answer(with_memory, without)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/%F2%BE%83%8Freports.json", 404),  # a character beyond latin-1 (U+BE0CF)
        ("/tiles/reports/.exe/%22w%C2%8A%F2%99%B1%98/7279.mvt", 400),  # z is no zoom; broken UTF-8
        ("/tiles/%C3%A9t%C3%A9.json", 404),  # "été": latin-1 has it, the layer does not exist
    ],
)
def test_a_path_of_any_characters_is_answered_by_the_stack_not_a_500(server, community, path, status):
    """schemathesis found these: the shortcut's request wrote its decoded path into the shared
    environ, and Django's own request could not decode it again."""
    base, app = server
    headers = token_for(member(community, Role.DISPATCHER))
    fast, slow, served = both_ways(base, app, path, headers)
    assert not served
    assert fast.status_code == status, fast.text
    same_answer(fast, slow)
