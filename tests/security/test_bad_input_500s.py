"""The 26 inputs a security probe found answering 500 (issue 22), over real HTTP: each is now a
4xx whose body names the field (or the body) at fault.

One row per input: who asks, the method, the path and what it sends, the status expected and
the field the answer must name.
"""

import io
import json
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from accounts.services import api_token_create
from tests.security.world import World, build_world
from tests.tiles.hit_server import session_for

pytestmark = pytest.mark.django_db(transaction=True)

SUPERSCRIPT_TWO = "²"  # "²".isdigit() is True, int("²") raises
LATE = "9999-12-31"  # its next day overflows Python's date
NESTED = "[" * 2000 + "]" * 2000  # json gives up at ~1,000 levels (RecursionError)


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG header announcing 30000 × 30000 px (900 Mpx): Pillow refuses it on open."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class Case:
    id: str
    who: str  # a role with a token ("dispatcher"), "session:<role>", or "partner" (Open311 key)
    method: str
    path: str  # may use {tile} {photo} {intervention} {community}
    params: dict[str, str] = field(default_factory=dict)
    json_body: str | None = None  # raw JSON text
    form: dict[str, str] | None = None
    upload: bool = False  # the bomb PNG as multipart `file`
    status: int = 400
    names: str = ""  # what the body must name


OPEN311_POST = {
    "jurisdiction_id": "{community}",
    "service_code": "{service}",
    "lat": "46.5802",
    "long": "0.3404",
}

CASES = [
    # OGC API Features
    Case(
        "ogc-datetime-month-13",
        "dispatcher",
        "GET",
        "/ogc/collections/reports/items",
        {"datetime": "2024-13-45"},
        names="datetime",
    ),
    Case(
        "ogc-datetime-year-0",
        "dispatcher",
        "GET",
        "/ogc/collections/reports/items",
        {"datetime": "0000-01-01"},
        names="datetime",
    ),
    Case(
        "ogc-datetime-9999",
        "dispatcher",
        "GET",
        "/ogc/collections/reports/items",
        {"datetime": LATE},
        names="datetime",
    ),
    Case(
        "ogc-datetime-interval-9999",
        "dispatcher",
        "GET",
        "/ogc/collections/interventions/items",
        {"datetime": f"2024-01-01/{LATE}"},
        names="datetime",
    ),
    Case(
        "ogc-offset-1e23",
        "dispatcher",
        "GET",
        "/ogc/collections/assets-points/items",
        {"offset": "1" + "0" * 23},
        names="offset",
    ),
    Case(
        "ogc-bbox-nan",
        "dispatcher",
        "GET",
        "/ogc/collections/assets-points/items",
        {"bbox": "nan,nan,nan,nan", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/2154"},
        names="bbox",
    ),
    # Vector tiles
    Case(
        "tiles-missions-date-to-9999",
        "dispatcher",
        "GET",
        "/tiles/missions/{tile}.mvt",
        {"date_to": LATE},
        names="date_to",
    ),
    Case(
        "tiles-interventions-date-to-9999",
        "dispatcher",
        "GET",
        "/tiles/interventions/{tile}.mvt",
        {"date_to": LATE},
        names="date_to",
    ),
    Case(
        "tiles-reports-date-to-9999",
        "dispatcher",
        "GET",
        "/tiles/reports/{tile}.mvt",
        {"date_to": LATE},
        names="date_to",
    ),
    # The dispatch board (the REST lists take 9999-12-31 as no bound: tests/api)
    Case("board-date-9999", "dispatcher", "GET", "/dispatch/api/board/", {"date": LATE}, names="date"),
    Case(
        "dashboards-year-of-9999",
        "session:dispatcher",
        "GET",
        "/dashboards/",
        {"period": "year", "date_from": LATE},
        names="date_from",
    ),
    # Dashboards (pages, a session)
    Case(
        "dashboards-category-superscript",
        "session:dispatcher",
        "GET",
        "/dashboards/",
        {"category": SUPERSCRIPT_TWO},
        names="category",
    ),
    Case(
        "dashboards-zone-superscript",
        "session:dispatcher",
        "GET",
        "/dashboards/",
        {"zone": SUPERSCRIPT_TWO},
        names="zone",
    ),
    Case(
        "dashboards-team-superscript",
        "session:dispatcher",
        "GET",
        "/dashboards/",
        {"team": SUPERSCRIPT_TWO},
        names="team",
    ),
    Case(  # period B of the side-by-side comparison: refused next to its field
        "dashboards-compare-to-9999",
        "session:dispatcher",
        "GET",
        "/dashboards/",
        {"compare": "custom", "compare_from": "2025-01-01", "compare_to": LATE},
        names="compare_to",
    ),
    Case(
        "dashboards-compare-unknown",
        "session:dispatcher",
        "GET",
        "/dashboards/",
        {"compare": SUPERSCRIPT_TWO},
        names="compare",
    ),
    Case(
        "dashboards-export-category-superscript",
        "session:dispatcher",
        "GET",
        "/dashboards/export/districts.csv",
        {"category": SUPERSCRIPT_TWO},
        names="category",
    ),
    # Geodata exports
    Case(
        "export-category-superscript",
        "dispatcher",
        "GET",
        "/geo/exports/download/",
        {"what": "reports", "format": "csv", "category": SUPERSCRIPT_TWO},
        names="category",
    ),
    Case(
        "export-bbox-nan",
        "dispatcher",
        "GET",
        "/geo/exports/download/",
        {"what": "assets", "format": "csv", "bbox": "nan,nan,nan,nan"},
        names="bbox",
    ),
    # Open311 GeoReport v2
    Case(
        "open311-request-id-superscript",
        "partner",
        "GET",
        "/open311/v2/requests.json",
        {"service_request_id": SUPERSCRIPT_TWO},
        names="service_request_id",
    ),
    Case(
        "open311-start-date-9999",
        "partner",
        "GET",
        "/open311/v2/requests.json",
        {"start_date": LATE},
        names="start_date",
    ),
    Case(
        "open311-service-code-nul",
        "partner",
        "POST",
        "/open311/v2/requests.json",
        form={**OPEN311_POST, "service_code": "\x00"},
        names="service_code",
    ),
    Case(
        "open311-phone-41",
        "partner",
        "POST",
        "/open311/v2/requests.json",
        form={**OPEN311_POST, "phone": "0" * 41},
        names="phone",
    ),
    Case(
        "open311-first-name-101",
        "partner",
        "POST",
        "/open311/v2/requests.json",
        form={**OPEN311_POST, "first_name": "A" * 101},
        names="first_name",
    ),
    Case(
        "open311-last-name-101",
        "partner",
        "POST",
        "/open311/v2/requests.json",
        form={**OPEN311_POST, "last_name": "B" * 101},
        names="last_name",
    ),
    # The field app's photo upload
    Case(
        "photo-30000-px-png",
        "agent",
        "PUT",
        "/agent/api/photos/{photo}/",
        form={"kind": "before", "intervention": "{intervention}"},
        upload=True,
        names="file",
    ),
    # JSON bodies nested 2,000 levels deep
    Case("api-reports-nested-json", "dispatcher", "POST", "/api/v1/reports/", json_body=NESTED, names="body"),
    Case(
        "dispatch-preview-nested-json",
        "dispatcher",
        "POST",
        "/dispatch/api/preview/",
        json_body=NESTED,
        names="body",
    ),
]


def test_there_are_28_cases():
    assert len(CASES) == 28
    assert len({c.id for c in CASES}) == 28


@pytest.fixture
def world() -> World:
    return build_world()


def fill(text: str, world: World) -> str:
    z, x, y = world.tile()
    return text.format(
        tile=f"{z}/{x}/{y}",
        photo=uuid.uuid4(),
        intervention=world.own["intervention"].client_uuid,
        community=world.own.community.slug,
        service=world.own["category"].code,
    )


def send(live_server: Any, world: World, case: Case) -> httpx.Response:
    headers: dict[str, str] = {"Accept-Language": "en"}
    params = {k: fill(v, world) for k, v in case.params.items()}
    form = {k: fill(v, world) for k, v in (case.form or {}).items()}
    if case.who == "partner":
        (params if case.method == "GET" else form)["api_key"] = world.own.partner_key
    elif case.who.startswith("session:"):
        headers |= session_for(world.users[case.who.split(":", 1)[1]])
    else:
        headers["Authorization"] = f"Token {api_token_create(user=world.users[case.who])[1]}"
    request: dict[str, Any] = {"params": params, "headers": headers, "timeout": 60}
    if case.json_body is not None:
        request |= {
            "content": case.json_body.encode(),
            "headers": headers | {"Content-Type": "application/json"},
        }
    elif case.upload:
        request |= {"data": form, "files": {"file": ("photo.png", io.BytesIO(bomb_png()), "image/png")}}
    elif case.form is not None:
        request["data"] = form
    return httpx.request(case.method, live_server.url + fill(case.path, world), **request)


def assert_names(response: httpx.Response, name: str) -> None:
    try:
        text = json.dumps(response.json(), ensure_ascii=False)  # field names, unescaped
    except ValueError:
        text = response.text
    assert name in text, f"the answer does not name {name!r}: {text[:400]}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_a_4xx_naming_the_field(live_server, world, case: Case):
    response = send(live_server, world, case)
    assert response.status_code == case.status, response.text[:500]
    assert_names(response, case.names)
