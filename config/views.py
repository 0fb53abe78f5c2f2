from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.defaults import page_not_found


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # The context processor has already resolved the membership and the menu.
    return render(request, "home.html")


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
