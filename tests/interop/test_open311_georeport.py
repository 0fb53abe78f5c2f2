"""Open311 GeoReport v2 read by a client nobody here wrote (`georeport` from PyPI), on a live
server and without an API key, in JSON and XML; POST answers 200 as the spec documents;
personal data never leaves; `extended_status` only as an extension (JSON member, namespaced
XML element)."""

from xml.etree import ElementTree as ET  # noqa: S405 - parsing our own server's answers

import pytest
import requests
from georeport import GeoReport

from interventions.models import Report

from .conftest import PARTNER_KEY
from .test_open311 import request_fields

pytestmark = pytest.mark.django_db(transaction=True)
EXTENSION = "{https://ronde.fr/ns/open311}extended_status"
PERSONAL = {
    "email": "jeanne.martin@example.fr",
    "first_name": "Jeanne",
    "last_name": "Martin",
    "phone": "+33549000000",
    "device_id": "device-8c1f",
    "account_id": "acct-77",
}


def create(base: str, **fields: str) -> requests.Response:
    return requests.post(f"{base}/requests.json", data=request_fields(**fields), timeout=30)


def test_georeport_client_reads_without_a_key(live_server, community, partner, tag_service, bench_service):
    base = f"{live_server.url}/open311/v2"
    created = create(base, description="Tag on the school wall", **PERSONAL)
    assert created.status_code == 200, created.text  # the spec documents 200, not 201
    request_id = created.json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        client = GeoReport(base, jurisdiction="poitiers", output_format=fmt)  # no api_key
        services = client.get_service_list()
        services = services if isinstance(services, list) else [services]
        assert {s["service_code"] for s in services} == {"tag", "bench"}
        definition = client.get_service_definition("tag")
        assert definition["service_code"] == "tag"
        found = client.get_service_requests()
        found = found if isinstance(found, list) else [found]
        assert [r["service_request_id"] for r in found] == [request_id]
        if fmt == "json":  # the client cannot read an empty XML list (<service_requests/>)
            assert client.get_service_requests(service_code="bench") == []
        by_status = client.get_service_requests(status="open")
        assert (by_status if isinstance(by_status, dict) else by_status[0])[
            "service_request_id"
        ] == request_id
        one = client.get_service_request(request_id)
        assert one["service_request_id"] == request_id and one["status"] == "open"
    assert Report.objects.count() == 1


def test_personal_data_never_leaves(live_server, community, partner, tag_service):
    base = f"{live_server.url}/open311/v2"
    request_id = create(base, **PERSONAL).json()[0]["service_request_id"]
    for path in ("requests", f"requests/{request_id}"):
        for fmt in ("json", "xml"):
            for params in ({"jurisdiction_id": "poitiers"}, {"api_key": PARTNER_KEY}):
                body = requests.get(f"{base}/{path}.{fmt}", params=params, timeout=30).text
                for value in PERSONAL.values():
                    assert value not in body, (path, fmt, value)


def test_extended_status_only_as_an_extension(live_server, community, partner, tag_service):
    base = f"{live_server.url}/open311/v2"
    request_id = create(base).json()[0]["service_request_id"]
    [row] = requests.get(f"{base}/requests/{request_id}.json", timeout=30).json()
    assert row["status"] == "open" and "extended_status" in row
    root = ET.fromstring(requests.get(f"{base}/requests.xml", timeout=30).content)  # noqa: S314
    request = root.find("request")
    assert request is not None and request.findtext("status") == "open"
    # No bare element outside the spec's list; the extension in Ronde's namespace.
    assert request.find("extended_status") is None
    assert request.find(EXTENSION) is not None
