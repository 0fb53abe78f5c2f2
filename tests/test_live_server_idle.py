"""The test suite's wait for the live server: it must not return while a request is running."""

import threading

import pytest

from tests.live_server_idle import InFlightRequests


def test_a_request_is_in_flight_from_its_call_until_its_response_is_closed():
    release = threading.Event()

    def app(environ, start_response):
        release.wait(5)  # a view still working (a photo being decoded between two queries)
        start_response("200 OK", [])
        return [b"ok"]

    tracker = InFlightRequests(app)
    responses = []
    thread = threading.Thread(
        target=lambda: responses.append(
            tracker({"REQUEST_METHOD": "PUT", "PATH_INFO": "/api/v1/interventions/1/"}, lambda *a: None)
        )
    )
    thread.start()
    assert tracker.wait_idle(0.2) == ["PUT /api/v1/interventions/1/"]
    release.set()
    thread.join()
    # Answered but not yet sent: the server has not closed the response.
    assert tracker.wait_idle(0.05) == ["PUT /api/v1/interventions/1/"]
    assert b"".join(responses[0]) == b"ok"
    responses[0].close()
    assert tracker.wait_idle(0.05) == []


def test_a_view_that_raises_is_no_longer_in_flight():
    def app(environ, start_response):
        raise RuntimeError("boom")

    tracker = InFlightRequests(app)
    with pytest.raises(RuntimeError):
        tracker({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, lambda *a: None)
    assert tracker.wait_idle(0.05) == []
