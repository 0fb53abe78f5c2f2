"""Over real HTTP: Ronde's WSGI application with the tile-hit shortcut, callers and comparisons
(tests/tiles/test_hit_shortcut.py, test_hit_listener.py)."""

import httpx
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings

from accounts.services import api_token_create
from tests.tiles.helpers import at, tile_of
from tiles.hit_shortcut import TileHitShortcut

Z = 16
TILE = tile_of(at(), Z)
# Headers that differ between any two responses, whichever path: the date, the server, the
# CSP's per-request nonce.
VOLATILE = {"date", "server", "content-security-policy"}


def token_for(user) -> dict[str, str]:
    return {"Authorization": f"Token {api_token_create(user=user)[1]}"}


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
