"""Objects built once per thread and key: PROJ transformations, prepared territories.

Per thread, not per process: PROJ objects and GEOS prepared geometries are not safe to share
between threads, and gunicorn's gthread workers serve several requests at once.
"""

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

T = TypeVar("T")

_local = threading.local()


def per_thread(store: str, key: Hashable, build: Callable[[], T], *, limit: int) -> T:
    """`build()`'s result for `key`, built once in this thread and kept in its cache `store`;
    a cache that reaches `limit` keys starts afresh (its keys may come from clients)."""
    caches: dict[str, dict[Hashable, Any]] | None = getattr(_local, "caches", None)
    if caches is None:
        caches = _local.caches = {}
    cache = caches.setdefault(store, {})
    if key not in cache:
        if len(cache) >= limit:
            cache.clear()
        cache[key] = build()
    return cast(T, cache[key])
