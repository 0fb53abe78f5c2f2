"""Outbound HTTP to an address someone else gave us (an Open311 partner's media_url), safely.

Server-side request forgery (issue 22): a URL that names loopback, the private network, the
cloud metadata address (169.254.169.254) or another port (PostgreSQL's) must not make the
server fetch it for the caller. `fetch_public` therefore:

- accepts only http and https, on ports 80 and 443 (RONDE_OUTBOUND_PORTS to add others);
- resolves the host name once and refuses it when ANY of its addresses is not a public
  unicast address (loopback, private, link-local, multicast, reserved, unspecified, shared
  address space, documentation ranges; IPv4 and IPv6, IPv4-mapped IPv6 unwrapped first);
- connects to that checked address itself (the Host header and TLS name stay the host's): a
  second DNS answer cannot swap in another address between the check and the connection;
- follows no redirect (a 3xx is refused: its target would be another unchecked address);
- stops at `max_bytes` and at `timeout_s` in all (connect + every read).

RONDE_OUTBOUND_ALLOW_PRIVATE lifts the address check (a test server on loopback; an intranet
deployment whose photo host is private). Nothing else is relaxed by it.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchRefused(Exception):
    """The URL or the answer is not one Ronde fetches (the message says why)."""


@dataclass(frozen=True)
class Fetched:
    content: bytes
    content_type: str


def address_is_public(address: str) -> bool:
    """A global unicast address (IPv4-mapped IPv6 judged as the IPv4 address it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is never public anyway
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not (
        ip.is_multicast or ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_reserved
    )


def resolve_checked(host: str, port: int) -> str:
    """The address to connect to: `host` resolved once, every answer checked."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchRefused(f"cannot resolve {host!r}: {exc}") from exc
    addresses = [str(info[4][0]) for info in answers]
    if not addresses:
        raise FetchRefused(f"no address for {host!r}")
    if not settings.RONDE_OUTBOUND_ALLOW_PRIVATE:
        refused = [a for a in addresses if not address_is_public(a)]
        if refused:
            raise FetchRefused(f"{host!r} resolves to a non-public address ({refused[0]})")
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address, with SNI and certificate checked against the host name."""

    def __init__(self, address: str, port: int, *, server_name: str, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


def fetch_public(url: str, *, max_bytes: int, timeout_s: float) -> Fetched:
    """GET `url` under the rules of this module's docstring; FetchRefused on any breach."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchRefused(f"scheme {scheme or '(none)'!r} is not fetched: http or https only")
    if not parts.hostname or parts.username or parts.password:
        raise FetchRefused("the URL needs a host name and no credentials")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise FetchRefused(f"bad port: {exc}") from exc
    allowed_ports = {80, 443, *settings.RONDE_OUTBOUND_PORTS}
    if port not in allowed_ports:
        raise FetchRefused(f"port {port} is not fetched (allowed: {sorted(allowed_ports)})")
    deadline = time.monotonic() + timeout_s
    address = resolve_checked(parts.hostname, port)
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = _PinnedHTTPSConnection(address, port, server_name=parts.hostname, timeout=timeout_s)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout_s)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    try:
        connection.request(
            "GET", path, headers={"Host": host_header, "User-Agent": "Ronde/1 (Open311 media)"}
        )
        response = connection.getresponse()
        if 300 <= response.status < 400:
            raise FetchRefused(f"redirect ({response.status}) not followed")
        if response.status != 200:
            raise FetchRefused(f"HTTP {response.status}")
        declared = response.getheader("Content-Length")
        if declared and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
            raise FetchRefused(f"larger than {max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(min(65536, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise FetchRefused(f"larger than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchRefused(f"took longer than {timeout_s} s")
        return Fetched(b"".join(chunks), response.getheader("Content-Type", ""))
    except (OSError, http.client.HTTPException) as exc:
        raise FetchRefused(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
