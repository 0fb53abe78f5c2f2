"""Open311 media_url cannot make the server fetch internal addresses (issue 22, SSRF).

Real HTTP servers on loopback: refused by default, fetched only when a test allows private
addresses and the port; redirects are not followed; only http(s); one DNS answer, checked,
is the address connected to.
"""

import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from PIL import Image

from core import outbound
from core.outbound import FetchRefused, address_is_public, fetch_public
from interventions.models import Report

from .test_open311_media_admin import _post

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


class Server:
    """A real HTTP server on 127.0.0.1 answering every GET with `answer(path)`."""

    def __init__(self, answer):
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                hits.append(self.path)
                status, headers, body = answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(answer=lambda path: (200, {"Content-Type": "image/png"}, png())):
        server = Server(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def fetching(settings, tmp_path):
    settings.RONDE_OPEN311_FETCH_MEDIA = True
    settings.MEDIA_ROOT = tmp_path
    return settings


def post_and_run(url, capture):
    with capture(execute=True):  # the commit enqueues the fetch (immediate task backend in tests)
        assert _post(url).status_code == 200
    return Report.objects.get()


def test_loopback_is_refused_by_default(
    fetching, partner, tag_service, servers, django_capture_on_commit_callbacks
):
    host = servers()
    fetching.RONDE_OUTBOUND_PORTS = [host.port]  # the port alone does not open loopback
    report = post_and_run(f"{host.url}/tag.png", django_capture_on_commit_callbacks)
    assert report.photos.count() == 0 and host.hits == []


def test_localhost_by_name_is_refused_too(
    fetching, partner, tag_service, servers, django_capture_on_commit_callbacks
):
    host = servers()
    fetching.RONDE_OUTBOUND_PORTS = [host.port]
    report = post_and_run(f"http://localhost:{host.port}/tag.png", django_capture_on_commit_callbacks)
    assert report.photos.count() == 0 and host.hits == []


def test_allowed_private_host_is_fetched(
    fetching, partner, tag_service, servers, django_capture_on_commit_callbacks
):
    host = servers()
    fetching.RONDE_OUTBOUND_ALLOW_PRIVATE = True
    fetching.RONDE_OUTBOUND_PORTS = [host.port]
    report = post_and_run(f"{host.url}/tag.png", django_capture_on_commit_callbacks)
    assert host.hits == ["/tag.png"] and report.photos.count() == 1


def test_other_ports_are_refused_even_when_private_is_allowed(
    fetching, partner, tag_service, servers, django_capture_on_commit_callbacks
):
    host = servers()
    fetching.RONDE_OUTBOUND_ALLOW_PRIVATE = True
    report = post_and_run(f"{host.url}/tag.png", django_capture_on_commit_callbacks)
    assert report.photos.count() == 0 and host.hits == []


def test_redirect_to_a_loopback_port_is_not_followed(
    fetching, partner, tag_service, servers, django_capture_on_commit_callbacks
):
    inside = servers()  # stands for PostgreSQL's port, or any internal service
    outside = servers(lambda path: (302, {"Location": f"{inside.url}/secret"}, b""))
    fetching.RONDE_OUTBOUND_ALLOW_PRIVATE = True  # to reach the test's "outside" host at all
    fetching.RONDE_OUTBOUND_PORTS = [outside.port]
    report = post_and_run(f"{outside.url}/tag.png", django_capture_on_commit_callbacks)
    assert outside.hits == ["/tag.png"]
    assert inside.hits == [] and report.photos.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/tag.png",
        "file:///etc/passwd",
        "gopher://127.0.0.1:5432/_",
        "http://user:pw@example.org/",
    ],
)
def test_other_schemes_and_credentials_are_refused(url, settings):
    settings.RONDE_OUTBOUND_ALLOW_PRIVATE = True
    with pytest.raises(FetchRefused):
        fetch_public(url, max_bytes=1000, timeout_s=1)


def test_size_limit(settings, servers):
    big = servers(lambda path: (200, {"Content-Type": "image/png"}, b"x" * 5000))
    settings.RONDE_OUTBOUND_ALLOW_PRIVATE = True
    settings.RONDE_OUTBOUND_PORTS = [big.port]
    with pytest.raises(FetchRefused, match="larger than"):
        fetch_public(f"{big.url}/big.png", max_bytes=1000, timeout_s=2)
    assert len(fetch_public(f"{big.url}/big.png", max_bytes=5000, timeout_s=2).content) == 5000


def test_one_resolution_and_the_checked_address_is_the_one_connected(settings, servers, monkeypatch):
    """No DNS-rebinding window: the host name is resolved once; its checked answer is dialled."""
    host = servers()
    settings.RONDE_OUTBOUND_ALLOW_PRIVATE = True
    settings.RONDE_OUTBOUND_PORTS = [host.port]
    calls = []
    real = socket.getaddrinfo

    def resolver(name, port, *args, **kwargs):
        if name != "photos.example":
            return real(name, port, *args, **kwargs)  # the numeric address being dialled
        calls.append(name)
        address = "127.0.0.1" if len(calls) == 1 else "10.9.9.9"  # a rebinding answer, if asked again
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", resolver)
    fetched = fetch_public(f"http://photos.example:{host.port}/tag.png", max_bytes=10_000, timeout_s=2)
    assert fetched.content == png() and calls == ["photos.example"] and host.hits == ["/tag.png"]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
        "224.0.0.1", "255.255.255.255", "192.0.2.10", "240.0.0.1",
        "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
        "2001:db8::1",
    ],
)  # fmt: skip
def test_non_public_addresses(address):
    assert not address_is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address):
    assert address_is_public(address)


def test_a_name_with_any_private_answer_is_refused(settings, monkeypatch):
    answers = [("93.184.216.34", 80), ("127.0.0.1", 80)]
    monkeypatch.setattr(
        outbound.socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", x) for x in answers],
    )
    with pytest.raises(FetchRefused, match="non-public"):
        fetch_public("http://mixed.example/tag.png", max_bytes=10, timeout_s=1)


def test_the_fetch_is_queued_for_the_background_worker(
    fetching, partner, tag_service, servers, django_capture_on_commit_callbacks
):
    """The partner's request never waits for (or triggers inline) the download."""
    from django_tasks import default_task_backend

    host = servers()
    fetching.RONDE_OUTBOUND_ALLOW_PRIVATE = True
    fetching.RONDE_OUTBOUND_PORTS = [host.port]
    fetching.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    report = post_and_run(f"{host.url}/tag.png", django_capture_on_commit_callbacks)
    [queued] = default_task_backend.results
    assert queued.task.name == "open311_media_fetch_task" and queued.args == [report.open311.pk]
    assert host.hits == [] and report.photos.count() == 0
