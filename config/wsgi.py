import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()

from tiles.hit_shortcut import TileHitShortcut  # noqa: E402 — needs the apps loaded above

# Cached map tiles are answered before the middleware stack (see tiles/hit_shortcut.py).
application = TileHitShortcut(application)  # type: ignore[assignment]

if settings.RONDE_SERVER_TIMING:
    from core.timing import ServerTiming  # noqa: E402

    # Outermost: the shortcut's answers are timed too (core/timing.py).
    application = ServerTiming(application)  # type: ignore[assignment]


def _freeze_startup_objects() -> None:
    """Load what the first requests would otherwise load, then move everything alive into
    the GC's permanent generation.

    Loaded here: the URLconf (every view, serializer and SQL file) and, in each language, its
    translation catalogue and the URL resolver's reverse index (which compiles every pattern's
    regex). Django builds these lazily, per process and per language: measured on a field sync,
    a worker's first photo PUT took ~50 ms more CPU than the next (the photo's answer names its
    URLs: the reverse index), ~7 ms more with this; every worker of a restarted server paid it
    under the first agents' load (agent_sync's first round). What a thread's first request
    still pays is its own: its database connection, PROJ transformation, prepared statements.

    Frozen objects are never scanned: without the freeze, each full (gen-2) collection walks
    the ~200,000 objects of the loaded project and pauses a request for ~80–120 ms (measured
    on the bbox benchmark: the p95). Under gunicorn, doing it at import time (before the fork
    when the app is preloaded) also keeps the workers' copy-on-write pages shared.
    """
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 — importing every view is the point
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 — built per language on first use
    gc.collect()
    gc.freeze()


_freeze_startup_objects()
