"""Server-Timing (core/timing.py): what a benchmark's per-route profile is built from."""

from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from core.timing import ServerTiming, parse_server_timing

pytestmark = pytest.mark.django_db


def _get(path: str) -> tuple[str, dict[str, str]]:
    environ: dict = {"PATH_INFO": path, "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=dict(headers))

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        b"".join(ServerTiming(WSGIHandler())(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"]


def test_each_answer_says_its_route_and_its_time_in_the_database():
    status, headers = _get("/health/")  # one SELECT 1
    assert status.startswith("200")
    timing = parse_server_timing(headers["Server-Timing"])
    assert timing["route"] == "health"
    assert timing["db_n"] == 1
    assert 0 < timing["db"] <= timing["app"]
    assert timing["cpu"] > 0


def test_an_unknown_url_is_timed_too():
    status, headers = _get("/no/such/page/")
    assert status.startswith("404")
    timing = parse_server_timing(headers["Server-Timing"])
    assert timing["route"] == "not-found" and timing["db_n"] == 0
