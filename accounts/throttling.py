"""Login throttling (django-axes): after RONDE_LOGIN_FAILURE_LIMIT failures for one username
from one IP address, that pair is locked out for AXES_COOLOFF_TIME.

Covers every way in that takes a password: the login form, the Django admin login and
POST /api/v1/auth/token/ (DRF wraps the request, so the token view asks axes itself).
"""

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

LOCKED_STATUS = 429


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check for logins that come with a request.

    `authenticate()` without a request (management commands, the test client's login())
    is not a login from the network: nothing to throttle.
    """

    def authenticate(
        self, request: Any = None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:  # noqa: E501
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message(request: HttpRequest) -> str:
    minutes = int(get_cool_off(request).total_seconds() // 60) if get_cool_off(request) else 0
    return _(
        "Too many failed log-in attempts for this user name from your address. "
        "Try again in %(minutes)d minutes, or ask your administrator to unlock the account."
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: JSON for the API, the login page with the message otherwise."""
    message = lockout_message(request)
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    if wants_json:
        return JsonResponse({"detail": message, "code": "locked_out"}, status=LOCKED_STATUS)
    return render(request, "registration/locked_out.html", {"lockout_message": message}, status=LOCKED_STATUS)


def client_ip(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or the address the trusted proxies saw."""
    count = int(getattr(settings, "RONDE_PROXY_COUNT", 0))
    if count > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= count:
            return hops[-count]
    return str(request.META.get("REMOTE_ADDR", ""))
