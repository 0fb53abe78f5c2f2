"""A lean HTTP/1.1 GET client for the latency passes (benchmarks/tiles.py timed_pass).

Why: a client's own time is counted in every latency it measures, and it weighs most on the
fastest answers. The standard library's http.client parses each response's headers with the
email package: against an empty WSGI app under gunicorn answering 39 KB with 13 headers,
http.client took 0.30-0.32 ms per request and this client 0.22 ms (measured here through
timed_pass, 2,000 requests a pass, alternated): ~0.09 ms of a cached tile's ~0.6 ms. httpx
took 0.79 ms.

What it does: one GET at a time on one connection, opened again whenever the server closes it
(gunicorn's sync workers close every one; uvicorn keeps it); reads the status line and the
headers, then exactly the body they announce (Content-Length, chunked, or until the server
closes); no decoding of the body. Anything it does not understand raises.
"""

import http.client
import socket
from collections.abc import Mapping
from typing import cast

RECV = 262_144


class HTTPError(RuntimeError):
    pass


class LeanConnection:
    def __init__(self, host: str, port: int, *, timeout: float = 120.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._sock: socket.socket | None = None
        self._buf = b""

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock, self._buf = None, b""

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, Mapping[str, str], bytes]:
        """(status, headers with lower-case names, body as sent)."""
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = self._until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, status_text, *_reason = status_line.split(" ", 2)
        if not version.startswith("HTTP/1.") or not status_text.isdigit():
            raise HTTPError(f"GET {path}: not an HTTP/1.x status line: {status_line!r}")
        status = int(status_text)
        got: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise HTTPError(f"GET {path}: malformed header line {line!r}")
            got[name.strip().lower()] = value.strip()
        close = got.get("connection", "").lower() == "close" or version == "HTTP/1.0"
        if status in (204, 304) or 100 <= status < 200:
            body = b""
        elif got.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked()
        elif "content-length" in got:
            body = self._exactly(int(got["content-length"]))
        else:
            body, close = self._to_end(), True
        if close:
            self.close()
        return status, got, body

    def _fill(self) -> bool:
        assert self._sock is not None
        data = self._sock.recv(RECV)
        self._buf += data
        return bool(data)

    def _until(self, mark: bytes) -> bytes:
        while (end := self._buf.find(mark)) < 0:
            if not self._fill():
                raise HTTPError("the server closed the connection mid-response")
        out, self._buf = self._buf[:end], self._buf[end + len(mark) :]
        return out

    def _exactly(self, n: int) -> bytes:
        while len(self._buf) < n:
            if not self._fill():
                raise HTTPError(f"the server closed the connection after {len(self._buf)} of {n} bytes")
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int(self._until(b"\r\n").split(b";", 1)[0], 16)
            if size == 0:
                while self._until(b"\r\n"):  # trailers, then the empty line
                    pass
                return b"".join(parts)
            parts.append(self._exactly(size))
            self._until(b"\r\n")

    def _to_end(self) -> bytes:
        while self._fill():
            pass
        out, self._buf = self._buf, b""
        return out


class StdlibConnection:
    """The same calls through the standard library's http.client (the earlier client)."""

    def __init__(self, host: str, port: int, *, timeout: float = 120.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, Mapping[str, str], bytes]:
        """(status, the headers as http.client parsed them (any case), body as sent)."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._conn.request("GET", path, headers=headers)
        response = self._conn.getresponse()
        body = response.read()
        if response.will_close:
            self.close()
        # The parsed message as is (get, [], in: any case): no more work than the earlier client did.
        return response.status, cast(Mapping[str, str], response.msg), body


CONNECTIONS: dict[str, type[LeanConnection] | type[StdlibConnection]] = {
    "lean": LeanConnection,
    "stdlib": StdlibConnection,
}
