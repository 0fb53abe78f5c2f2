"""Who is making the current change and from where, for services that never see the request.

AuditContextMiddleware puts the request in a context variable; `audit_record` reads the user
lazily (DRF authenticates tokens inside the view, after the middleware ran). Commands and
tasks have no request: their events say source "system" unless `audit_context(...)` says more.
"""

import contextlib
import contextvars
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from .models import AuditSource

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("audit_request", default=None)
_override: contextvars.ContextVar["Actor | None"] = contextvars.ContextVar("audit_actor", default=None)

# URL prefix → source; the first match wins.
SOURCES = (
    ("/api/", AuditSource.API),
    ("/agent/", AuditSource.AGENT),
    ("/admin/", AuditSource.ADMIN),
    ("/open311/", AuditSource.OPEN311),
)
CLIENT_HEADER = "X-Ronde-Client"  # the device's install UUID, sent by the field app


@dataclass
class Actor:
    user_id: int | None = None
    username: str = ""
    source: str = AuditSource.SYSTEM
    user_agent: str = ""
    client_uuid: uuid.UUID | None = None


def _source(path: str) -> str:
    for prefix, source in SOURCES:
        if path.startswith(prefix):
            return source
    return AuditSource.WEB


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def current_actor() -> Actor:
    override = _override.get()
    if override is not None:
        return override
    request = _request.get()
    if request is None:
        return Actor()
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return Actor(
        user_id=user.pk if authenticated else None,  # type: ignore[union-attr]
        username=user.get_username() if authenticated else "",  # type: ignore[union-attr]
        source=_source(request.path),
        user_agent=request.headers.get("User-Agent", "")[:300],
        client_uuid=_uuid(request.headers.get(CLIENT_HEADER)),
    )


@contextlib.contextmanager
def audit_context(*, actor: Actor) -> Iterator[None]:
    """Attribute the changes made inside the block to `actor` (commands, tasks, tests)."""
    token = _override.set(actor)
    try:
        yield
    finally:
        _override.reset(token)


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
