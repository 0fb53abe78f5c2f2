"""Knowing when the live server has finished every request it was sent.

A transactional test's teardown TRUNCATEs every table. A request of the live server still
running at that moment (an agent's background sync, a photo finished inline after its upload)
takes its table locks in another order and PostgreSQL breaks the deadlock by failing the
flush, which leaves the next test the previous one's data (seen in full runs).

Watching pg_stat_activity is not enough: a request between two queries (decoding a photo) shows
its connection as idle. So the live server's WSGI application is wrapped to count the requests
it is inside, from the call until the response is closed; teardown waits for zero.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator


class InFlightRequests:
    """A WSGI wrapper counting the requests between their call and their response's close()."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._paths: Counter[str] = Counter()
        self._connections = 0  # accepted and not yet closed (see track)
        self._changed = threading.Condition()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"
        with self._changed:
            self._paths[path] += 1
        try:
            result = self.app(environ, start_response)
        except BaseException:
            self._done(path)
            raise
        return _ClosedThen(result, lambda: self._done(path))

    def _done(self, path: str) -> None:
        with self._changed:
            self._paths[path] -= 1
            if self._paths[path] <= 0:
                del self._paths[path]
            self._changed.notify_all()

    def connection_opened(self) -> None:
        with self._changed:
            self._connections += 1

    def connection_closed(self) -> None:
        with self._changed:
            self._connections = max(0, self._connections - 1)
            self._changed.notify_all()

    def wait_connections_closed(self, timeout: float) -> None:
        """Wait (at most `timeout`) until every accepted connection is closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._connections == 0, timeout)

    def wait_idle(self, timeout: float) -> list[str]:
        """Wait until no request is in flight; return those still running at the timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._paths:
                left = deadline - time.monotonic()
                if left <= 0:
                    return sorted(self._paths.elements())
                self._changed.wait(left)
        return []


class _ClosedThen:
    """The response's iterable, calling `then` once wsgiref has closed it (it always does)."""

    def __init__(self, result: Iterable[bytes], then: Callable[[], None]) -> None:
        self._result = result
        self._then: Callable[[], None] | None = then

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._result)

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            then, self._then = self._then, None
            if then is not None:
                then()


_tracker: InFlightRequests | None = None


def track(httpd) -> InFlightRequests:
    """Wrap the live server's application and count its open connections (once per session).

    A request a closed browser had already sent may still sit in its connection, not yet read by
    the connection's thread: no request is counted, yet one is coming. The thread serves it
    before it closes the connection (socketserver's shutdown_request), so waiting for the
    connections to close covers it.
    """
    global _tracker
    app = httpd.get_app()
    if not isinstance(app, InFlightRequests):
        app = InFlightRequests(app)
        httpd.set_app(app)
        accept, close = httpd.process_request, httpd.shutdown_request

        def process_request(request, client_address) -> None:  # type: ignore[no-untyped-def]
            app.connection_opened()
            accept(request, client_address)

        def shutdown_request(request) -> None:  # type: ignore[no-untyped-def]
            try:
                close(request)
            finally:
                app.connection_closed()

        httpd.process_request, httpd.shutdown_request = process_request, shutdown_request
    _tracker = app
    return app


def wait_for_server_idle(timeout: float = 30.0) -> None:
    """Return once the live server serves no request and no other backend of this database is busy.

    Fails the test, naming the requests, if some are still running at the timeout: a flush
    started now would deadlock with them.
    """
    from django.db import connection

    started = time.monotonic()
    if _tracker is not None:
        # A client that keeps its connection open (not a closed browser) costs at most a second.
        _tracker.wait_connections_closed(1.0)
        running = _tracker.wait_idle(timeout)
        if running:
            raise AssertionError(f"the live server was still serving {running} after {timeout:.0f} s")
    # Anything else holding the database (a thread the test started) settles here.
    deadline = started + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            row = cursor.fetchone()
        if row is not None and row[0] == 0:
            return
        time.sleep(0.05)
