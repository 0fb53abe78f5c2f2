import sys

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.defaults import page_not_found


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # The context processor has already resolved the membership and the menu.
    return render(request, "home.html")


def accessibility(request: HttpRequest) -> HttpResponse:
    """The RGAA accessibility statement: a fixed document, public like the law wants it."""
    return render(request, "accessibility.html")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness + database check for load balancers and docker-compose healthchecks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: JSON under the APIs (an id the URL pattern refuses, e.g. /api/v1/zones/1.5/), HTML elsewhere."""
    if request.path.startswith(("/api/", "/agent/api/", "/dispatch/api/")):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


API_PREFIXES = ("/api/", "/agent/api/", "/dispatch/api/", "/open311/", "/ogc/", "/tiles/")
# Seconds a client (the agent app's outbox, partner apps) should wait before retrying.
DATABASE_RETRY_AFTER = 15


def server_error(request: HttpRequest) -> HttpResponse:
    """500, except when the database is unreachable: then 503 with Retry-After.

    A PostgreSQL restart or failover is temporary; saying so lets the agent app's outbox and
    partner apps retry instead of reporting a bug (called inside Django's exception handler,
    so the exception is in sys.exc_info()).
    """
    exc = sys.exc_info()[1]
    unavailable = isinstance(exc, OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if request.path.startswith(API_PREFIXES):
        detail = "The database is unavailable; retry shortly." if unavailable else "Server error."
        response: HttpResponse = JsonResponse({"detail": detail}, status=status)
    else:
        template = "503.html" if unavailable else "500.html"
        response = HttpResponse(render_to_string(template), status=status)
    if unavailable:
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response
