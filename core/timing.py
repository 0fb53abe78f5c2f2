"""Where a request's time goes, per route: a `Server-Timing` header (RONDE_SERVER_TIMING=1).

Off by default: the header tells any caller how long the server and its database took, which
is for the operator, not the public. The benchmarks turn it on (benchmarks/load.py,
benchmarks/agent_sync.py) and summarise it per route (benchmarks/harness.py route_profile).

It wraps the whole WSGI application (config/wsgi.py), outside the cached-tile shortcut, so
every answer is timed, the shortcut's too. Per request it sends:

    Server-Timing: app;dur=12.40, db;dur=3.10;desc="4", cpu;dur=7.90, route;desc="agent:photo-sync"

- app: wall time (ms) from the request reaching Django to the response's headers;
- db: wall time (ms) inside database calls (Django's cursors on every alias, and
  core.sql.fetch_prepared's psycopg cursor), desc: the number of statements;
- cpu: CPU time (ms) of the serving thread (time.thread_time: under gunicorn's threads, the
  other threads' work is not counted);
- route: the URL's name (Django's view_name), with the layer for tiles and ":hit" when the
  tile came from the cache.

What a client measures beyond `app` is the wait for a free worker (and the network): on a
loaded machine, the queue.
"""

import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.urls import Resolver404, resolve

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class _Clock:
    db_s: float = 0.0
    statements: int = 0


_clock: ContextVar[_Clock | None] = ContextVar("ronde_server_timing", default=None)


def db_time_add(seconds: float) -> None:
    """Count a database call made outside Django's cursors (core.sql.fetch_prepared)."""
    clock = _clock.get()
    if clock is not None:
        clock.db_s += seconds
        clock.statements += 1


def _db_wrapper(clock: _Clock) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            clock.db_s += time.perf_counter() - started
            clock.statements += 1

    return wrapper


def route_name(path: str, headers: list[tuple[str, str]]) -> str:
    """A request's route for the profile: the URL name, the tile layer, a cache hit."""
    try:
        match = resolve(path)
    except Resolver404:
        return "not-found"
    name = match.view_name or "unnamed"
    if "layer" in match.kwargs:
        name += f":{match.kwargs['layer']}"
        cache = next((v for k, v in headers if k.lower() == "x-tile-cache"), "")
        if cache == "hit":
            name += ":hit"
    return name


class ServerTiming:
    """The WSGI wrapper adding the header (see the module's docstring)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        clock = _Clock()
        token = _clock.set(clock)
        wall0, cpu0 = time.perf_counter(), time.thread_time()

        def timed_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            app_ms = (time.perf_counter() - wall0) * 1000
            cpu_ms = (time.thread_time() - cpu0) * 1000
            route = route_name(environ.get("PATH_INFO", ""), headers)
            headers.append(
                (
                    "Server-Timing",
                    f'app;dur={app_ms:.2f}, db;dur={clock.db_s * 1000:.2f};desc="{clock.statements}", '
                    f'cpu;dur={cpu_ms:.2f}, route;desc="{route}"',
                )
            )
            return start_response(status, headers, exc_info)

        try:
            with ExitStack() as stack:
                for connection in connections.all():
                    stack.enter_context(connection.execute_wrapper(_db_wrapper(clock)))
                return self.app(environ, timed_start_response)
        finally:
            _clock.reset(token)


def parse_server_timing(header: str) -> dict[str, Any]:
    """{'app': ms, 'db': ms, 'db_n': statements, 'cpu': ms, 'route': name} from the header."""
    out: dict[str, Any] = {}
    for metric in header.split(","):
        name, *params = (p.strip() for p in metric.split(";"))
        for param in params:
            key, _, value = param.partition("=")
            value = value.strip('"')
            if key == "dur":
                out[name] = float(value)
            elif key == "desc":
                out["db_n" if name == "db" else name] = int(value) if name == "db" else value
    return out
