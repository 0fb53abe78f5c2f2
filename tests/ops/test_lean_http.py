"""benchmarks/lean_http.py, the tile benchmark's client: every byte of each response the server
announces, whatever the framing, and the same bytes http.client reads."""

import socket
import threading

import pytest

from benchmarks.lean_http import HTTPError, LeanConnection, StdlibConnection

TILE = bytes(range(256)) * 150  # 38,400 bytes, every byte value

RESPONSES = {
    "/length": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Encoding: gzip\r\n\r\n" % len(TILE) + TILE,
    "/chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x;ext=1\r\n" % 1000
        + TILE[:1000]
        + b"\r\n%x\r\n" % (len(TILE) - 1000)
        + TILE[1000:]
        + b"\r\n0\r\nX-Trailer: yes\r\n\r\n"
    ),
    "/empty": b'HTTP/1.1 204 No Content\r\nETag: "e"\r\n\r\n',
    "/close": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + TILE,
    "/cut": b"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\nConnection: close\r\n\r\n" + TILE[:10],
}


@pytest.fixture
def server():
    """A keep-alive HTTP/1.1 server answering RESPONSES, closing after /close and /cut; counts
    the connections it accepted."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                path = head.split(b" ")[1].decode()
                # Sent in small pieces: the client must gather them.
                answer = RESPONSES[path]
                for start in range(0, len(answer), 7000):
                    conn.sendall(answer[start : start + 7000])
                if path in ("/close", "/cut"):
                    return

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1], accepted
    listener.close()


def test_every_framing_gives_the_body_http_client_gives(server):
    port, accepted = server
    lean = LeanConnection("127.0.0.1", port, timeout=5)
    for path in ("/length", "/chunked", "/empty", "/close", "/length"):
        status, headers, body = lean.get(path, {"Accept-Encoding": "gzip"})
        reference = StdlibConnection("127.0.0.1", port, timeout=5)
        assert (status, body) == reference.get(path, {"Accept-Encoding": "gzip"})[::2], path
        reference.close()
    assert headers["content-encoding"] == "gzip"  # names lower-cased, values kept
    lean.close()
    # One connection for the first four answers (kept alive until /close), one after it, and
    # one per http.client request.
    assert len(accepted) == 2 + 5


def test_a_body_cut_short_is_an_error_not_a_shorter_tile(server):
    port, _accepted = server
    with pytest.raises(HTTPError, match="after 10 of 99999 bytes"):
        LeanConnection("127.0.0.1", port, timeout=5).get("/cut", {})
