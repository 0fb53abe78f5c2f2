"""Objects built once per thread and key: PROJ transformations, prepared territories; and
immutable values built once per process and key (per_process: the dashboard's maps).

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


_shared: dict[str, dict[Hashable, Any]] = {}
_shared_lock = threading.Lock()


def per_process(store: str, key: Hashable, build: Callable[[], T], *, limit: int) -> T:
    """`build()`'s result for `key`, kept in this process's cache `store` and shared by its
    threads: only for values no thread changes (strings, frozen dataclasses). Two threads
    missing the same key at once may both build it (the last one is kept); a cache that
    reaches `limit` keys starts afresh."""
    with _shared_lock:
        cache = _shared.setdefault(store, {})
        if key in cache:
            return cast(T, cache[key])
    value = build()  # outside the lock: a slow build holds no other request
    with _shared_lock:
        if len(cache) >= limit:
            cache.clear()
        cache[key] = value
    return value


def per_process_clear() -> None:
    """Forget every per-process value (tests: a test's rows may reuse an earlier one's keys)."""
    with _shared_lock:
        _shared.clear()
