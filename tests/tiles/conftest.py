"""Fixtures of the tile tests: Ronde's WSGI application behind a real HTTP server."""

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from accounts.models import Role
from interventions.models import InterventionStatus
from tests.factories import InterventionFactory, member
from tests.tiles.helpers import at, url
from tests.tiles.hit_server import TILE, get, token_for
from tiles.hit_shortcut import TileHitShortcut


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


@pytest.fixture
def cached(server, community):
    """A tile of the community with one intervention, in the cache (a first request built it)."""
    base, _app = server
    InterventionFactory(community=community, geom=at(), status=InterventionStatus.TODO)
    viewer = member(community, Role.VIEWER)
    first = get(base, url("interventions", TILE), token_for(viewer))
    assert (first.status_code, first.headers["X-Tile-Cache"]) == (200, "miss")
    return url("interventions", TILE)
