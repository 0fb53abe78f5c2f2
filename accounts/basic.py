"""HTTP Basic sign-in for GIS clients (`curl -u`, GDAL's USERPWD, QGIS's basic authentication)
on the read-only map services: /ogc/, /wfs/ and /tiles/ (settings.RONDE_BASIC_AUTH_PATHS).

The password is the user's password or one of their API tokens (then the user name is not
checked: the token alone identifies its user, as with `Authorization: Token`). Where a
community requires a second factor of the user's role (accounts/twofactor.py), only a token
is accepted: Basic has no way to carry the code. A password goes
through django.contrib.auth.authenticate, so the django-axes lockout counts Basic attempts like
the login form's (accounts/throttling.py): a locked-out pair gets 429, bad credentials 401.

Why a cache: a password check costs one PBKDF2 hash (~0.3 s of CPU with Django 5.2's
iterations) and a map asks for dozens of tiles a second. A verified pair is remembered for
BASIC_CACHE_SECONDS by a SHA-256 of the pair (never the password), and trusted only while the
user's stored password hash is unchanged and the account active: a password change or a
deactivation ends it at the next request.
"""

import base64
import binascii
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from .models import User
from .selectors import api_token_get
from .throttling import LOCKED_STATUS, lockout_message
from .twofactor import communities_requiring

REALM = "Ronde"
CHALLENGE = f'Basic realm="{REALM}", charset="UTF-8"'
TOKEN_LENGTH = 40  # DRF's token keys: 40 hexadecimal characters
BASIC_CACHE_SECONDS = 300
BASIC_CACHE_SIZE = 1024
_verified: "OrderedDict[str, tuple[int, str, float]]" = OrderedDict()  # digest -> (user id, hash, until)


def basic_paths_match(path: str) -> bool:
    return path.startswith(tuple(settings.RONDE_BASIC_AUTH_PATHS))


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(user name, password) of `Authorization: Basic …`; None without one; ValueError if garbled."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("Invalid basic header: not base64 of UTF-8 'user:password'.") from None
    username, sep, password = decoded.partition(":")
    if "\x00" in decoded:
        raise ValueError("Invalid basic header: a NUL character in the credentials.")
    if not sep:
        raise ValueError("Invalid basic header: no ':' between user name and password.")
    return username, password


def challenge(response: HttpResponse) -> HttpResponse:
    """Ask for credentials the way GIS clients understand (RFC 7617)."""
    response["WWW-Authenticate"] = CHALLENGE
    return response


def _unauthorized(detail: str) -> HttpResponse:
    return challenge(JsonResponse({"detail": detail}, status=401))


def _digest(username: str, password: str) -> str:
    return hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()


def _remembered(digest: str) -> User | None:
    entry = _verified.get(digest)
    if entry is None:
        return None
    user_id, password_hash, until = entry
    if time.monotonic() > until:
        _verified.pop(digest, None)
        return None
    user = User.objects.filter(pk=user_id, is_active=True, password=password_hash).first()
    if user is None:
        _verified.pop(digest, None)
    return user


def _remember(digest: str, user: User) -> None:
    _verified[digest] = (user.pk, user.password, time.monotonic() + BASIC_CACHE_SECONDS)
    _verified.move_to_end(digest)
    while len(_verified) > BASIC_CACHE_SIZE:
        _verified.popitem(last=False)


def _is_token(password: str) -> bool:
    return len(password) == TOKEN_LENGTH and api_token_get(key=password) is not None


def basic_user(request: HttpRequest, username: str, password: str) -> User | None:
    """The user these credentials sign in, or None (the failure is recorded by axes)."""
    token = api_token_get(key=password) if len(password) == TOKEN_LENGTH else None
    if token is not None:  # an API token as the password: an active user's, not expired
        return token.user if token.user.is_active and token.expires_at > timezone.now() else None
    digest = _digest(username, password)
    user = _remembered(digest)
    if user is not None:
        return user
    found = authenticate(request, username=username, password=password)
    if isinstance(found, User):
        _remember(digest, found)
        return found
    return None


class BasicAuthMiddleware:
    """Signs in a Basic caller of the map services for this request only (no session)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not basic_paths_match(request.path_info):
            return self.get_response(request)
        try:
            credentials = basic_credentials(request)
        except ValueError as exc:
            return _unauthorized(str(exc))
        if credentials is None:
            return self.get_response(request)
        user = basic_user(request, *credentials)
        if getattr(request, "axes_locked_out", False):
            # JSON, not the login page: a GIS client shows the message.
            locked = {"detail": lockout_message(request), "code": "locked_out"}
            return JsonResponse(locked, status=LOCKED_STATUS)
        if user is None:
            return _unauthorized("Invalid user name or password.")
        if not _is_token(credentials[1]) and communities_requiring(user=user):
            # A password alone is not enough where the community asks this role for a second
            # factor (accounts/twofactor.py); an API token is a separate credential.
            return _unauthorized("Your community requires a second factor: use an API token as the password.")
        request.user = user
        request._ronde_basic = True  # type: ignore[attr-defined]
        return self.get_response(request)


def forget_all() -> None:
    """Tests: start from an empty cache of verified pairs."""
    _verified.clear()


__all__ = ["BasicAuthMiddleware", "basic_credentials", "basic_paths_match", "challenge", "forget_all"]
