"""Cached tiles answered before Django's middleware stack: the hottest path of every map.

Why: reading a cached tile costs the database ~0.3 ms, but through the whole stack (thirteen
middlewares, URL resolution, a query for the caller and one for the tile) a hit took ~1.8 ms
in-process and 3-4.5 ms over HTTP, against ~28 ms to build the tile: 6x, where issue 4 asks
for 20x.

What it answers: ONLY a GET of a tile that is in the cache, for a caller the full stack would
serve it to: an active user's API token or a valid database session, member of the community
(the same choice of community as accounts.access, by the same SQL) with a role that reads the
layer, valid filters, an allowed Host, no HTTPS redirect due. It decides with Django's and
Ronde's own parts: the session store's decoding and auth hash, the permission matrix's rule for
tiles, parse_filters, tile_response and the middlewares that set the response headers.

Everything else (anonymous callers, bad or unknown credentials, non-members, forbidden roles,
bad input, tiles not cached, a session signed with a fallback secret that Django would rotate)
goes to the full stack untouched, which answers as it always did. The shortcut only reads, so
handing a request on is always safe. tests/tiles/test_hit_shortcut.py checks both paths give
the same answer, caller by caller.

Three ways to decide: from the database (one prepared round trip, sql/cache_hit.sql), or, for a
caller and tile this worker already decided while listening to the database's notifications,
from its memory with no round trip (hit_memory.py, hit_listener.py; tests/tiles/
test_hit_listener.py checks that every change to the caller or the tile is seen at once), or,
for such a caller and a tile the worker does not hold, from the tile's row alone
(sql/cache_tile.sql).
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from functools import cache
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest, get_path_info
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, resolve, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from accounts.access import COMMUNITY_HEADER, roles_allowed
from accounts.basic import TOKEN_LENGTH, basic_credentials
from accounts.models import User, token_digest
from accounts.selectors import caller_sql
from core.params import ParamError
from core.sql import fetch_prepared, sql_path, sql_text

from .caching import Tile, cache_enabled, tile_response
from .filters import parse_filters
from .hit_listener import HitListener
from .hit_memory import HELD, Caller, Credential, Held, TileId
from .layers import LAYERS, Layer
from .tilemath import parse_tile

logger = logging.getLogger(__name__)
LISTENER = HitListener(HELD.forget)

TILE_VIEW = "tiles:tile"
DB_SESSIONS = "django.contrib.sessions.backends.db"
# The middlewares that only shape response headers (security headers, CSP, language, length,
# framing), run around the shortcut's answer so it leaves with the headers the stack would give.
HEADER_MIDDLEWARE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "core.security.SecurityHeadersMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    }
)

ASKED_DATABASE = "_ronde_asked_database"  # on a response: request_started was sent for it
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def shortcut_enabled() -> bool:
    return cache_enabled() and settings.RONDE_TILE_HIT_SHORTCUT


@cache
def _statement() -> str:
    caller = caller_sql(membership='m."role", m."community_id"', user='u."password"', community='c."id"')
    return sql_text(sql_path(__file__, "cache_hit.sql")).format(caller=caller)


@cache
def _tile_statement() -> str:
    return sql_text(sql_path(__file__, "cache_tile.sql"))


@cache
def _model_backends() -> frozenset[str]:
    """Session backends whose get_user is ModelBackend's (an active user by primary key)."""
    return frozenset(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if issubclass(cls := import_string(path), ModelBackend) and cls.get_user is ModelBackend.get_user
    )


def _session_key(request: HttpRequest) -> str | None:
    """The session cookie's key, if its session can be checked here (Django's database sessions,
    not saved on every request); None: the stack decides."""
    if settings.SESSION_ENGINE != DB_SESSIONS or settings.SESSION_SAVE_EVERY_REQUEST:
        return None
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return key if key and len(key) >= 8 else None


def _session_user(key: str) -> tuple[int, str, dt.datetime] | None:
    """(user id, auth hash, expiry) of a valid, unexpired database session; the hash is checked later.

    None whenever Django's own get_user might decide otherwise (or change the session).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_data, expire_date FROM django_session WHERE session_key = %s AND expire_date > %s",
            [key, timezone.now()],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    data = import_module(DB_SESSIONS).SessionStore().decode(row[0])  # {} if tampered with
    if data.get(BACKEND_SESSION_KEY) not in _model_backends() or not data.get(HASH_SESSION_KEY):
        return None
    try:
        user_id = User._meta.pk.to_python(data.get(SESSION_KEY))  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 — whatever Django would make of it, the stack decides
        return None
    return (user_id, str(data[HASH_SESSION_KEY]), row[1]) if isinstance(user_id, int) else None


@cache
def _tile_route() -> tuple[str, URLPattern] | None:
    """The tile URL's prefix ("/tiles/") and its pattern in tiles/urls.py.

    Matching these two costs ~10 µs where resolving the whole URLconf costs ~95 µs. Checked
    once against the whole URLconf: if another route answered tile URLs, no shortcut at all.
    """
    from .urls import urlpatterns

    pattern = next(p for p in urlpatterns if isinstance(p, URLPattern) and p.name == "tile")
    tail = "assets/14/8000/5000.mvt"
    sample = reverse(TILE_VIEW, kwargs={"layer": "assets", "z": "14", "x": "8000", "y": "5000"})
    if not sample.endswith(tail) or resolve(sample).view_name != TILE_VIEW:
        logger.warning("tile URLs are not routed as expected: the tile shortcut is off")
        return None
    return sample[: -len(tail)], pattern


def _token(request: HttpRequest) -> str | None:
    """The key of `Authorization: Token <key>` (DRF's parsing), else None."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0] != "Token":
        return None
    return parts[1]


def _basic_token(request: HttpRequest) -> str | None:
    """The password of `Authorization: Basic …` when it may be an API token (accounts/basic.py
    takes a token as the password, whatever the user name); None: the stack decides (a real
    password costs a hash check and counts for the lockout: never here)."""
    try:
        credentials = basic_credentials(request)
    except ValueError:
        return None
    if credentials is None or len(credentials[1]) != TOKEN_LENGTH:
        return None
    return credentials[1]


def cached_tile_response(request: HttpRequest) -> HttpResponse | None:
    """The answer for a cached tile this caller may read, or None: let the full stack answer."""
    route = _tile_route()
    path = request.path_info
    if route is None or not path.startswith(route[0]):
        return None
    match = route[1].resolve(path[len(route[0]) :])
    layer = LAYERS.get(match.kwargs.get("layer", "")) if match is not None else None
    if match is None or layer is None:
        return None
    parsed = parse_tile(match.kwargs["z"], match.kwargs["x"], match.kwargs["y"])
    if parsed is None or not layer.minzoom <= parsed[0] <= layer.maxzoom:
        return None
    zi, xi, yi = parsed
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return None
    try:
        request.get_host()
    except DisallowedHost:  # a Host not in ALLOWED_HOSTS: the stack answers 400 and logs it
        return None
    try:
        filters = parse_filters(layer, request.GET)
    except ParamError:
        return None
    # Sessions first, as accounts.access.request_principal: a session cookie that does not
    # give a user is the stack's to judge (it may fall back to a token, or rotate the key).
    slug = request.GET.get("community") or request.META.get(COMMUNITY_HEADER) or None
    if request.META.get("HTTP_AUTHORIZATION", "")[:6].lower() == "basic ":
        # HTTP Basic wins over a session cookie, as in accounts/basic.py's middleware.
        kind, secret = "token", _basic_token(request)
    elif settings.SESSION_COOKIE_NAME in request.COOKIES:
        kind, secret = "session", _session_key(request)
    else:
        kind, secret = "token", _token(request)
    if not secret or "\x00" in (slug or "") or "\x00" in secret:
        return None  # the stack answers what PostgreSQL text cannot hold
    credential: Credential = (kind, secret, slug)
    tile = (layer.id, zi, xi, yi, filters.variant)
    if settings.RONDE_TILE_HIT_MEMORY_MB <= 0:
        return _from_database(request, layer, credential, tile, None, remember=False, listening=None)
    listening = LISTENER.current()
    known = HELD.caller(credential)
    if known is not None and listening is not None and _trusted(known, listening[0]):
        answer = _from_memory(request, layer, known, tile, listening[0])
        if answer is not None:
            return answer
        if not _readable(known.role, layer):
            return None
        return _tile_from_database(request, layer, credential, known, tile, listening)
    return _from_database(request, layer, credential, tile, known, remember=True, listening=listening)


def _readable(role: str, layer: type[Layer]) -> bool:
    """The rule the stack applies to the tile view (accounts/access.py), and the layer's own.

    A role that reads only its teams' rows goes to the full stack: its tiles are cached under
    its teams (tiles.views), a key this shortcut cannot compute without another query.
    """
    allowed = role in (roles_allowed(TILE_VIEW, "GET") or ()) and role in layer.read_roles
    return allowed and role not in layer.team_scoped_roles


def _answer(request: HttpRequest, layer: type[Layer], z: int, held: Held) -> HttpResponse:
    capped = not layer.grid_at(z) and held.features >= layer.feature_cap
    tile = Tile(etag=held.etag, features=held.features, capped=capped, gz=held.data, cache="hit")
    return tile_response(request, tile)


def _trusted(known: Caller, session: int) -> bool:
    """The caller as the database said in this listening session (no change since: it would
    have been notified and forgotten), and not expired."""
    return known.session == session and (known.expires is None or known.expires > timezone.now())


def _from_memory(
    request: HttpRequest, layer: type[Layer], known: Caller, tile: TileId, session: int
) -> HttpResponse | None:
    """The answer from what this worker read while listening, with no round trip; None: ask.
    The caller is trusted (`_trusted`)."""
    held = HELD.tile(known.community_id, tile)
    if held is None or held.session != session or not _readable(known.role, layer):
        return None
    return _answer(request, layer, tile[1], held)


def _from_database(
    request: HttpRequest,
    layer: type[Layer],
    credential: Credential,
    tile: TileId,
    known: Caller | None,
    *,
    remember: bool,
    listening: tuple[int, int] | None,
) -> HttpResponse | None:
    """The answer the database gives (one prepared round trip, two for a session), remembered."""
    # As Django does before a request, which this may then become: stale connections closed.
    signals.request_started.send(sender=TileHitShortcut, environ=request.META)
    user_id = key = session_hash = expires = None
    if credential[0] == "session":
        session = _session_user(credential[1])
        if session is None:
            return None
        user_id, session_hash, expires = session
    else:
        key = token_digest(credential[1])
    held = HELD.tile(known.community_id, tile) if known is not None else None
    params = {"key": key, "user_id": user_id, "slug": credential[2], **_tile_params(tile, held)}
    row = fetch_prepared(_statement(), params, binary=True)  # binary: the tile's bytes as they are
    if row is None:
        return None
    role, community_id, password, token_expires, *tile_row = row
    if token_expires is not None:
        expires = token_expires
    if not _readable(role, layer):
        return None
    if session_hash is not None:
        expected = User(pk=user_id, password=password).get_session_auth_hash()
        if not constant_time_compare(session_hash, expected):
            return None  # a changed password (Django logs the session out) or a fallback key
    caller = Caller(community_id, role, expires, 0)
    return _answer_read(
        request, layer, credential, caller, tile, held, tile_row, listening, remember=remember
    )


def _tile_params(tile: TileId, held: Held | None) -> dict[str, Any]:
    """The tile's key and the version of it this worker holds, as both hit statements take them."""
    layer, z, x, y, variant = tile
    held_id, held_version = (held.entry_id, held.version) if held is not None else (None, None)
    return {
        "layer": layer,
        "z": z,
        "x": x,
        "y": y,
        "variant": variant,
        "held_id": held_id,
        "held_version": held_version,
    }


def _tile_from_database(
    request: HttpRequest,
    layer: type[Layer],
    credential: Credential,
    known: Caller,
    tile: TileId,
    listening: tuple[int, int],
) -> HttpResponse | None:
    """The answer for a caller this worker trusts and a tile it does not hold: the tile's row
    alone (sql/cache_tile.sql), remembered."""
    signals.request_started.send(sender=TileHitShortcut, environ=request.META)
    held = HELD.tile(known.community_id, tile)
    params = {"community": known.community_id, **_tile_params(tile, held)}
    row = fetch_prepared(_tile_statement(), params, binary=True)
    if row is None:
        return None
    return _answer_read(request, layer, credential, known, tile, held, list(row), listening, remember=True)


def _answer_read(
    request: HttpRequest,
    layer: type[Layer],
    credential: Credential,
    caller: Caller,
    tile: TileId,
    held: Held | None,
    tile_row: list[Any],
    listening: tuple[int, int] | None,
    *,
    remember: bool,
) -> HttpResponse | None:
    """The answer from a tile row the database sent (data, etag, features, id, version)."""
    data, etag, features, entry_id, version = tile_row
    if data is None:  # the row is the version this worker holds
        if held is None:
            return None
        data = held.data
    # Trusted later only if no notification came between the first look and now (hit_listener.py).
    trusted = listening[0] if listening is not None and LISTENER.current() == listening else 0
    fresh = Held(entry_id, version, bytes(data), etag, features, trusted)
    if remember:
        HELD.remember(credential, caller._replace(session=trusted), tile, fresh)
    response = _answer(request, layer, tile[1], fresh)
    setattr(response, ASKED_DATABASE, True)
    return response


class TileHitShortcut:
    """WSGI wrapper: cached tiles answered by `cached_tile_response`, the rest by Django."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.served = 0  # tiles answered here (the rest went to Django)
        self._with_headers: Callable[[HttpRequest], HttpResponse] | None = None

    def _header_chain(self) -> Callable[[HttpRequest], HttpResponse]:
        """The header-setting middlewares, in settings order, around the prepared answer."""
        if self._with_headers is None:
            handler: Callable[[HttpRequest], HttpResponse] = lambda request: request._shortcut_response  # type: ignore[attr-defined]  # noqa: E731
            for path in reversed([p for p in settings.MIDDLEWARE if p in HEADER_MIDDLEWARE]):
                handler = import_string(path)(handler)
            self._with_headers = handler
        return self._with_headers

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # A cheap first filter; cached_tile_response matches the tile route itself.
        if environ.get("REQUEST_METHOD") == "GET" and get_path_info(environ).startswith("/tiles/"):
            response = self._try(environ)
            if response is not None:
                self.served += 1
                start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
                if getattr(response, ASKED_DATABASE, False):
                    return response  # the server's close() sends request_finished (connections)
                return [response.content]  # from memory: no connection to tidy up (~20 µs)
        return self.app(environ, start_response)

    def _try(self, environ: dict[str, Any]) -> HttpResponse | None:
        if not shortcut_enabled():
            return None
        # A copy: WSGIRequest writes its decoded path back into the environ it is given (its
        # META is that dict), and a path with characters beyond latin-1 then made Django's own
        # request, when the tile is not here, fail to decode it again: a 500 for a 404.
        request = WSGIRequest(environ.copy())
        try:
            answer = cached_tile_response(request)
            if answer is None:
                return None
            request._shortcut_response = answer  # type: ignore[attr-defined]
            return self._header_chain()(request)
        except Exception:  # the full stack answers, and reports the error its own way
            logger.exception("tile shortcut failed; the request goes to the full stack")
            return None
