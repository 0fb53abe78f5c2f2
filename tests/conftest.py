"""Shared fixtures. The database is a real PostGIS (make test starts a throwaway cluster)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_token_create
from tests.factories import PASSWORD, CommunityFactory, member
from tests.live_server_idle import track, wait_for_server_idle


@pytest.fixture(scope="session", autouse=True)
def _tile_hit_listener_closed(django_db_setup, django_db_blocker):
    """The tile-hit listener (tiles/hit_listener.py) holds a connection to the test database:
    closed before pytest-django drops it."""
    yield
    from tiles.hit_shortcut import LISTENER

    LISTENER.close()


@pytest.fixture(scope="session", autouse=True)
def _heatmap_snapshots_emptied():
    """Heatmap snapshot files left by an earlier session would match the ids of a new test
    database (tiles/heatmap/snapfile.py)."""
    import shutil

    from django.conf import settings

    shutil.rmtree(settings.RONDE_HEATMAP_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _per_process_values_forgotten():
    """Values a worker keeps in memory (core/per_thread.py per_process: the dashboard's maps and
    figures) start afresh with each test, as Django's cache does when a test clears it."""
    from core.per_thread import per_process_clear

    per_process_clear()


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server, counting the requests it is serving (tests/live_server_idle.py)."""
    track(live_server.thread.httpd)
    return live_server


@pytest.fixture(autouse=True)
def _live_server_idle_before_flush(request, _live_server_helper):
    """After a live-server test (its browser closed), wait for its requests before the TRUNCATE.

    Set up after pytest-django's helper, which sets up the transactional database, so this
    teardown runs before that flush.
    """
    yield
    if "live_server" in request.fixturenames:
        wait_for_server_idle()


@pytest.fixture
def community(db):
    return CommunityFactory(slug="poitiers", name="Poitiers")


@pytest.fixture
def other_community(db):
    # Another tenant, same place on the map: isolation must not rely on geography.
    return CommunityFactory(slug="autre", name="Autre commune")


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_user(db):
    return member


@pytest.fixture
def api_as(db):
    """api_as(community, role) -> an APIClient logged in with a token for a new member."""

    def _client(community, role: str = Role.DISPATCHER) -> APIClient:
        user = member(community, role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
        client.user = user  # type: ignore[attr-defined]
        return client

    return _client
