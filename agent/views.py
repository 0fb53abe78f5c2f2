"""Pages of the field app: the one-page shell, its service worker, manifest and icons."""

import hashlib
import io
import json
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from PIL import Image, ImageDraw

from geo.models import Support
from interventions.models import Method, NotDoneReason, PhotoKind

from .serializers import SURFACE_M2
from .strings import ui_plurals, ui_strings

# What the service worker stores at install so the app opens with no network.
SHELL_STATIC = [
    "css/ronde.css",
    "agent/agent.css",
    "agent/app.js",
    "agent/db.js",
    "agent/outbox.js",
    "agent/geo.js",
    "agent/map.js",
    "agent/photos.js",
    "js/map_locale.js",  # imported by agent/map.js
    "js/marks.js",  # imported by agent/map.js (the map's marks, core/palette.py)
    "geo/address_search.js",  # the search box (geo/_address_search.html)
    "geo/address_search.css",
    "vendor/maplibre-gl/maplibre-gl.mjs",
    "vendor/maplibre-gl/maplibre-gl-shared.mjs",
    "vendor/maplibre-gl/maplibre-gl-worker.mjs",
    "vendor/maplibre-gl/maplibre-gl.css",
]


def _choices(choices: list[tuple[str, Any]]) -> list[list[str]]:
    return [[str(value), str(label)] for value, label in choices]


@login_required
def shell(request: HttpRequest) -> HttpResponse:
    config = {
        "api": reverse("agent:api-missions").rsplit("missions/", 1)[0],
        "sw": reverse("agent:sw"),
        "scope": reverse("agent:app"),
        "tiles": _tiles_config(),
        # The exact URL the service worker precaches (hashed in production): see agent/map.js.
        "maplibreWorker": static("vendor/maplibre-gl/maplibre-gl-worker.mjs"),
        "choices": {
            "support": _choices(Support.choices),
            "method": _choices(Method.choices),
            "reason": _choices(NotDoneReason.choices),
            "kind": _choices(PhotoKind.choices),
        },
        "surface": {"min": float(SURFACE_M2[0]), "max": float(SURFACE_M2[1])},
        "user": request.user.get_username(),
    }
    return render(
        request,
        "agent/app.html",
        {"agent_config": config, "agent_strings": ui_strings(), "agent_plurals": ui_plurals()},
    )


def _tiles_config() -> dict[str, str] | None:
    """The offline base map's style URL, when the tiles app is installed."""
    try:
        return {"style": reverse("tiles:style")}
    except Exception:  # NoReverseMatch or no `tiles` namespace: the map shows our layers only
        return None


@cache
def _shell_version() -> str:
    """Changes whenever a cached file changes, so devices pick up a new app."""
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        found = finders.find(name)
        if isinstance(found, str):
            with open(found, "rb") as fh:
                digest.update(fh.read())
    digest.update(
        render_to_string(
            "agent/app.html", {"agent_config": {}, "agent_strings": {}, "agent_plurals": {}}
        ).encode()
    )
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    body = render_to_string(
        "agent/sw.js",
        {
            "version": _shell_version(),
            "shell_url": reverse("agent:app"),
            "precache": json.dumps([reverse("agent:app"), *[static(n) for n in SHELL_STATIC]]),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on every navigation; never serve a stale one.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("agent:app")
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    scope = reverse("agent:app")
    data = {
        "name": _("Ronde field app"),
        "short_name": "Ronde",
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d2a4a",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": reverse("agent:icon", args=[s]), "sizes": f"{s}x{s}", "type": "image/png", "purpose": p}
            for s in (192, 512)
            for p in ("any", "maskable")
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@cache
def _icon_png(size: int) -> bytes:
    """The app icon, drawn here (no binary in the repository): a round on a dark square."""
    image = Image.new("RGB", (size, size), "#0d2a4a")
    draw = ImageDraw.Draw(image)
    pad, width = size * 0.22, max(2, size // 14)
    draw.ellipse((pad, pad, size - pad, size - pad), outline="#ffbf47", width=width)
    dot = size * 0.09
    for fx, fy in ((0.5, pad / size), (1 - pad / size, 0.5), (0.5, 1 - pad / size)):
        cx, cy = size * fx, size * fy
        draw.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill="#ffffff")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


@require_GET
def icon(request: HttpRequest, size: int) -> HttpResponse:
    if size not in (192, 512):
        return HttpResponse(status=404)
    response = HttpResponse(_icon_png(size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
