"""Login throttling (django-axes): after RONDE_LOGIN_FAILURE_LIMIT failures for one username
from one IP address, that pair is locked out for AXES_COOLOFF_TIME; after
RONDE_LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the usernames, the whole
address is (someone trying many usernames). The address limit is higher because a town hall's
agents share one NAT address.

Covers every way in that takes a password: the login form, the Django admin login and
POST /api/v1/auth/token/ (DRF wraps the request, so the token view asks axes itself).
"""

from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
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


class LoginThrottleHandler(AxesDatabaseHandler):
    """AXES_HANDLER: two limits, one per (username, address) pair and one per address.

    AXES_LOCKOUT_PARAMETERS lists the pair first, the address second; axes compares one
    count with one limit, so an address over its own limit reports the pair limit.
    """

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        pair, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.RONDE_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return int(pair)

    def address_locked(self, request: HttpRequest) -> bool:
        cool_off = get_cool_off(request) or timedelta(0)
        address_attempts = AccessAttempt.objects.filter(
            ip_address=client_ip(request), attempt_time__gte=timezone.now() - cool_off
        )
        total = address_attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        return bool(total >= settings.RONDE_LOGIN_ADDRESS_FAILURE_LIMIT)

    def reset_user_attempts(self, request: Any, credentials: dict | None = None) -> int:
        """A success resets its own pair only: logging into one's own account must not
        clear the failures the same address piled up on other usernames."""
        pair_attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair_attempts.delete()
        return int(count)


def lockout_message(request: HttpRequest) -> str:
    minutes = int(get_cool_off(request).total_seconds() // 60) if get_cool_off(request) else 0
    if LoginThrottleHandler().address_locked(request):
        return _(
            "Too many failed log-in attempts from your address. Try again in %(minutes)d minutes, "
            "or ask your administrator."
        ) % {"minutes": minutes}
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
