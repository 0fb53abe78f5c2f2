"""Cached tiles answered before the middleware stack (tiles/hit_shortcut.py), over real HTTP.

The shortcut may only ever give the answer the full stack would give. Each test asks the same
question with the shortcut on and off (RONDE_TILE_HIT_SHORTCUT) and compares, and checks
which path answered (the wrapper counts what it served).
"""

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test import override_settings
from rest_framework.authtoken.models import Token

from accounts.models import Membership, Role
from interventions.models import InterventionStatus
from tests.factories import InterventionFactory, member
from tests.tiles.helpers import at, tile_of, url
from tiles.hit_shortcut import TileHitShortcut

pytestmark = pytest.mark.django_db(transaction=True)
Z = 16
TILE = tile_of(at(), Z)
# Headers that differ between any two responses, whichever path: the date, the server, the
# CSP's per-request nonce.
VOLATILE = {"date", "server", "content-security-policy"}


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, TileHitShortcut]]:
    """Ronde's WSGI application (as config/wsgi.py builds it) behind a real HTTP server."""
    app = TileHitShortcut(WSGIHandler())
    httpd: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Quiet)

    def serve() -> None:
        try:
            httpd.serve_forever(poll_interval=0.05)
        finally:
            connections.close_all()  # this thread's connection, before the test database goes

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()


def token_for(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def session_for(user) -> dict[str, str]:
    """A database session as Django's login() leaves it (ModelBackend, current auth hash)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {"Cookie": f"sessionid={session.session_key}"}


def get(base: str, path: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(base + path, headers={"Accept-Encoding": "gzip", **headers}, timeout=30)


def both_ways(base: str, app: TileHitShortcut, path: str, headers: dict[str, str]):
    """(shortcut answer, full-stack answer, whether the shortcut served it)."""
    before = app.served
    fast = get(base, path, headers)
    served = app.served > before
    with override_settings(RONDE_TILE_HIT_SHORTCUT=False):
        slow = get(base, path, headers)
    return fast, slow, served


def same_answer(fast: httpx.Response, slow: httpx.Response) -> None:
    assert fast.status_code == slow.status_code
    assert fast.content == slow.content
    fast_headers = {k: v for k, v in fast.headers.items() if k.lower() not in VOLATILE}
    slow_headers = {k: v for k, v in slow.headers.items() if k.lower() not in VOLATILE}
    assert fast_headers == slow_headers


@pytest.fixture
def cached(server, community):
    """A tile of the community with one intervention, in the cache (a first request built it)."""
    base, _app = server
    InterventionFactory(community=community, geom=at(), status=InterventionStatus.TODO)
    viewer = member(community, Role.VIEWER)
    first = get(base, url("interventions", TILE), token_for(viewer))
    assert (first.status_code, first.headers["X-Tile-Cache"]) == (200, "miss")
    return url("interventions", TILE)


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
