"""Security headers Django does not set itself: Content-Security-Policy with a per-request
nonce, and Permissions-Policy.

The policy names no third-party origin: every script, style, font and tile is served by
Ronde itself (static/vendor). Inline scripts run only with the request's nonce: templates
write `<script nonce="{{ csp_nonce }}">` (context processor below); Python code has
`request.csp_nonce`; form widgets, whose templates do not see the request, use
`{% load csp %}<script nonce="{% csp_nonce %}">`. Styles may be inline (folium and the admin
write style attributes; a style cannot run code). MapLibre starts its workers from blob:
URLs and draws images from data:/blob: URLs.
"""

import contextvars
import functools
import json
import logging
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("ronde.csp")
_nonce: contextvars.ContextVar[str] = contextvars.ContextVar("csp_nonce", default="")

REPORT_PATH = "/security/csp-report/"
# Geolocation (agent's position) and camera (photos) for our own pages; nothing else.
PERMISSIONS_POLICY = (
    "geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


def _origin(url: str) -> str:
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def build_policy(nonce: str) -> str:
    before, after = _policy_around_nonce(getattr(settings, "RONDE_UPSTREAM_RASTER_URL", "") or "")
    return f"{before}{nonce}{after}"


@functools.lru_cache(maxsize=4)
def _policy_around_nonce(upstream_url: str) -> tuple[str, str]:
    """The policy's text before and after the nonce: every response carries it, built once."""
    # A community may add an upstream raster base map (RONDE_UPSTREAM_RASTER_URL): its origin,
    # and only that one, is allowed for images and fetches.
    upstream = _origin(upstream_url)
    extra = f" {upstream}" if upstream else ""
    directives = {
        "default-src": "'self'",
        "script-src": "'self' 'nonce-\0'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob:{extra}",
        "font-src": "'self' data:",
        "connect-src": f"'self'{extra}",
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "manifest-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'self'",
        "report-uri": REPORT_PATH,
    }
    policy = "; ".join(f"{name} {value}" for name, value in directives.items())
    before, _nonce_mark, after = policy.partition("\0")
    return before, after


def current_nonce() -> str:
    """The nonce of the request being served ("" outside a request)."""
    return _nonce.get()


class SecurityHeadersMiddleware:
    """Sets request.csp_nonce, then the CSP and Permissions-Policy headers on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        token = _nonce.set(nonce)
        try:
            response = self.get_response(request)
        finally:
            _nonce.reset(token)
        response.headers.setdefault("Content-Security-Policy", build_policy(nonce))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def csp_context(request: HttpRequest) -> dict[str, str]:
    """Template variable `csp_nonce` for `<script nonce="{{ csp_nonce }}">`."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Browsers post violations here (report-uri); they are logged, never stored."""
    try:
        report = json.loads(request.body[:10_000] or b"{}").get("csp-report", {})
    except (ValueError, AttributeError, RecursionError):  # RecursionError: nested ~1,000 deep
        return HttpResponse(status=400)
    logger.warning(
        "CSP violation: %s blocked %s on %s",
        report.get("violated-directive") or report.get("effective-directive"),
        report.get("blocked-uri"),
        report.get("document-uri"),
    )
    return HttpResponse(status=204)
