"""Open311 GeoReport v2: every endpoint in JSON and XML, the POST form, keys and jurisdictions."""

from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from interventions.models import Open311Request, Report
from interventions.open311.services import partner_key_ensure
from tests.factories import POITIERS, AddressFactory, CategoryFactory, ReportFactory

from .conftest import PARTNER_KEY
from .helpers import wgs84, xml

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


def request_fields(**fields) -> dict:
    """A POST Service Request's form fields: a tag in Poitiers centre, the partner's key."""
    lat, lon = wgs84()
    data = {
        "api_key": PARTNER_KEY,
        "jurisdiction_id": "poitiers",
        "service_code": "tag",
        "lat": lat,
        "long": lon,
    }
    data.update(fields)
    return data


def post_request(client: Client, fmt: str = "json", **fields):
    data = request_fields(**fields)
    data = {k: v for k, v in data.items() if v is not None}
    # Django's test client form-encodes `data` with this content type, as the spec requires.
    return client.post(f"{BASE}/requests.{fmt}", form(data), content_type="application/x-www-form-urlencoded")


def form(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)


@pytest.fixture
def client_():
    return Client()


def test_discovery_in_json_and_xml(client_):
    body = client_.get(f"{BASE}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    root = xml(client_.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]


def test_services_list_only_the_jurisdictions_public_categories(
    client_, community, other_community, tag_service, bench_service
):
    CategoryFactory(community=community, code="internal", public=False)
    CategoryFactory(community=other_community, code="elsewhere")
    body = client_.get(f"{BASE}/services.json", {"jurisdiction_id": "poitiers"}).json()
    assert sorted(s["service_code"] for s in body) == ["bench", "tag"]
    tag = next(s for s in body if s["service_code"] == "tag")
    assert tag["service_name"] == "Tag" and tag["type"] == "realtime" and tag["metadata"] is True
    root = xml(client_.get(f"{BASE}/services.xml", {"jurisdiction_id": "poitiers"}))
    assert root.tag == "services"
    assert sorted(s.findtext("service_code") for s in root.findall("service")) == ["bench", "tag"]
    assert root.find("service/metadata").text == "true"
    other = client_.get(f"{BASE}/services.json", {"jurisdiction_id": "autre"}).json()
    assert [s["service_code"] for s in other] == ["elsewhere"]


def test_service_definition_in_json_and_xml(client_, community, tag_service):
    body = client_.get(f"{BASE}/services/tag.json", {"jurisdiction_id": "poitiers"}).json()
    assert body["service_code"] == "tag"
    codes = {a["code"]: a for a in body["attributes"]}
    assert set(codes) == {"support", "offensive"}
    assert {"key": "wall", "name": "Wall"} in [dict(v) for v in codes["support"]["values"]] or any(
        v["key"] == "wall" for v in codes["support"]["values"]
    )
    root = xml(client_.get(f"{BASE}/services/tag.xml", {"jurisdiction_id": "poitiers"}))
    assert root.tag == "service_definition"
    keys = [v.text for v in root.findall("attributes/attribute[code='support']/values/value/key")]
    assert "wall" in keys and "shutter" in keys


def test_unknown_service_is_a_404_in_the_spec_error_format(client_, community):
    response = client_.get(f"{BASE}/services/nope.json", {"jurisdiction_id": "poitiers"})
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service_code: unknown service 'nope'."}]
    response = client_.get(f"{BASE}/services/nope.xml", {"jurisdiction_id": "poitiers"})
    assert response.status_code == 404
    root = xml(response)
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert "service_code" in root.findtext("error/description")


def test_post_form_encoded_creates_a_partner_report(client_, community, partner, tag_service):
    lat, lon = wgs84(POITIERS[0] + 120, POITIERS[1] - 40)
    response = client_.post(
        f"{BASE}/requests.json",
        form(
            {
                "api_key": PARTNER_KEY,
                "jurisdiction_id": "poitiers",
                "service_code": "tag",
                "lat": lat,
                "long": lon,
                "address_string": "12 rue Carnot, Poitiers",
                "description": "Tag injurieux sur le rideau de la boulangerie",
                "media_url": "https://photos.example.org/abc.jpg",
                "attribute[support]": "shutter",
                "attribute[offensive]": "true",
                "attribute[report_url]": "https://fms.example.org/report/7",  # a client's own
                "email": "habitant@example.org",
                "first_name": "Jeanne",
                "account_id": "u-42",
            }
        ),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    [created] = response.json()
    report = Report.objects.get(pk=created["service_request_id"])
    assert created["account_id"] == "u-42" and created["token"] == str(report.open311.token)
    assert report.community == community and report.category == tag_service
    assert report.source == "partner" and report.status == "new"
    assert report.support == "shutter" and report.offensive is True
    assert report.address == "12 rue Carnot, Poitiers"
    # Position stored in Lambert-93 within a centimetre of what was sent.
    assert report.geom.distance(type(report.geom)(POITIERS[0] + 120, POITIERS[1] - 40, srid=2154)) < 0.01
    extra = report.open311
    assert extra.partner == partner and extra.email == "habitant@example.org"
    assert extra.media_url == "https://photos.example.org/abc.jpg"
    assert extra.attributes["report_url"] == "https://fms.example.org/report/7"
    # RONDE_OPEN311_FETCH_MEDIA is off by default: the URL is kept, nothing is downloaded.
    assert report.photos.count() == 0


def test_post_answers_in_xml(client_, community, partner, tag_service):
    response = post_request(client_, "xml", description="Tag")
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "service_requests"
    request_id = root.findtext("request/service_request_id")
    assert Report.objects.filter(pk=request_id, source="partner").exists()
    assert root.findtext("request/token") == str(Open311Request.objects.get(report_id=request_id).token)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("key", "status", "words"),
    [(None, 403, "api_key: required"), ("not-a-key", 403, "api_key: invalid")],
)
def test_post_needs_a_valid_api_key(client_, community, partner, tag_service, fmt, key, status, words):
    response = post_request(client_, fmt, api_key=key)
    assert response.status_code == status
    if fmt == "json":
        [error] = response.json()
        assert error["code"] == status and error["description"].startswith(words)
    else:
        assert xml(response).findtext("error/description").startswith(words)
    assert not Report.objects.exists()


def test_revoked_key_is_refused(client_, community, partner, tag_service):
    partner.active = False
    partner.save()
    assert post_request(client_).status_code == 403


def test_key_of_another_jurisdiction_is_refused(client_, community, other_community, tag_service):
    partner_key_ensure(community=other_community, name="Elsewhere", key="other-key")
    response = post_request(client_, api_key="other-key")
    assert response.status_code == 403
    assert "jurisdiction_id" in response.json()[0]["description"]
    assert not Report.objects.exists()


def test_jurisdiction_handling(client_, community, other_community, partner, tag_service):
    # Unknown jurisdiction.
    response = client_.get(f"{BASE}/services.json", {"jurisdiction_id": "atlantis"})
    assert response.status_code == 404 and "jurisdiction_id" in response.json()[0]["description"]
    # Several jurisdictions, no key: jurisdiction_id is required.
    response = client_.get(f"{BASE}/services.xml")
    assert response.status_code == 400 and "jurisdiction_id" in xml(response).findtext("error/description")
    # The key names its jurisdiction: no jurisdiction_id needed.
    assert post_request(client_, jurisdiction_id=None).status_code == 200
    assert Report.objects.get().community == community


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"service_code": None}, "service_code: required"),
        ({"service_code": "unknown"}, "service_code: unknown"),
        ({"lat": None, "long": None, "address_string": "1 place"}, "does not geocode"),
        ({"lat": "north", "long": "0.3"}, "lat/long: decimal degrees"),
        ({"lat": "48.8566", "long": "2.3522"}, "outside the territory"),  # Paris
        ({"attribute[support]": "roof"}, "attribute[support]"),
        ({"attribute[]": "red"}, "attribute code"),
        ({"media_url": "ftp://x/y.jpg"}, "media_url"),
        ({"email": "not-an-email"}, "email"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_bad_posts_get_a_spec_error_naming_the_field(client_, community, partner, tag_service, fields, words):
    response = post_request(client_, **fields)
    assert response.status_code in (400, 404)
    [error] = response.json()
    assert error["code"] == response.status_code
    assert words in error["description"]
    assert not Report.objects.exists()


def test_get_requests_json_and_xml_with_filters(
    client_, community, other_community, partner, tag_service, bench_service
):
    now = timezone.now()
    tag = ReportFactory(community=community, category=tag_service, reported_at=now - timedelta(days=1))
    bench = ReportFactory(community=community, category=bench_service, reported_at=now - timedelta(days=2))
    old = ReportFactory(community=community, category=tag_service, reported_at=now - timedelta(days=120))
    closed = ReportFactory(community=community, category=tag_service, status="rejected", reported_at=now)
    ReportFactory(community=other_community)  # never visible here
    params = {"api_key": PARTNER_KEY}

    body = client_.get(f"{BASE}/requests.json", params).json()
    # Default window: the last 90 days, newest first.
    assert [r["service_request_id"] for r in body] == [str(closed.pk), str(tag.pk), str(bench.pk)]
    assert body[1]["status"] == "open" and body[1]["service_code"] == "tag"
    assert body[0]["status"] == "closed" and body[0]["extended_status"] == "not_councils_responsibility"
    lat, lon = wgs84()
    assert abs(body[1]["lat"] - lat) < 1e-6 and abs(body[1]["long"] - lon) < 1e-6

    by_code = client_.get(f"{BASE}/requests.json", {**params, "service_code": "bench"}).json()
    assert [r["service_request_id"] for r in by_code] == [str(bench.pk)]
    by_status = client_.get(f"{BASE}/requests.json", {**params, "status": "closed"}).json()
    assert [r["service_request_id"] for r in by_status] == [str(closed.pk)]
    ids = client_.get(
        f"{BASE}/requests.json", {**params, "service_request_id": f"{old.pk},{bench.pk}"}
    ).json()
    assert sorted(r["service_request_id"] for r in ids) == sorted([str(old.pk), str(bench.pk)])
    window = client_.get(
        f"{BASE}/requests.json",
        {
            **params,
            "start_date": (now - timedelta(days=150)).isoformat(),
            "end_date": (now - timedelta(days=100)).isoformat(),
        },
    ).json()
    assert [r["service_request_id"] for r in window] == [str(old.pk)]

    root = xml(client_.get(f"{BASE}/requests.xml", {**params, "status": "open"}))
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [str(tag.pk), str(bench.pk)]
    assert root.findtext("request/status") == "open"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}, "90 days"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": "1,abc"}, "service_request_id"),
    ],
)
def test_get_requests_bad_filters(client_, community, partner, params, words):
    response = client_.get(f"{BASE}/requests.json", {"api_key": PARTNER_KEY, **params})
    assert response.status_code == 400
    assert words in response.json()[0]["description"]


def test_reading_requests_is_open_unless_the_community_closes_it(client_, community, tag_service, partner):
    """GeoReport v2: GET Service Requests needs no API key; a community may close them."""
    report = ReportFactory(community=community, category=tag_service)
    body = client_.get(f"{BASE}/requests.json", {"jurisdiction_id": "poitiers"}).json()
    assert [r["service_request_id"] for r in body] == [str(report.pk)]
    community.settings = {"open311_public_requests": False}
    community.save()
    response = client_.get(f"{BASE}/requests.json", {"jurisdiction_id": "poitiers"})
    assert response.status_code == 403
    response = client_.get(f"{BASE}/requests/{report.pk}.xml", {"jurisdiction_id": "poitiers"})
    assert response.status_code == 403 and xml(response).tag == "errors"
    # A partner key still reads them.
    assert client_.get(f"{BASE}/requests.json", {"api_key": PARTNER_KEY}).status_code == 200


def test_request_detail_json_xml_and_tenancy(client_, community, other_community, partner, tag_service):
    mine = ReportFactory(community=community, category=tag_service, address="Place du Marché")
    theirs = ReportFactory(community=other_community)
    [body] = client_.get(f"{BASE}/requests/{mine.pk}.json", {"api_key": PARTNER_KEY}).json()
    assert body["service_request_id"] == str(mine.pk) and body["address"] == "Place du Marché"
    assert body["agency_responsible"] == "Poitiers"
    root = xml(client_.get(f"{BASE}/requests/{mine.pk}.xml", {"api_key": PARTNER_KEY}))
    assert root.findtext("request/service_request_id") == str(mine.pk)
    response = client_.get(f"{BASE}/requests/{theirs.pk}.json", {"api_key": PARTNER_KEY})
    assert response.status_code == 404


def test_token_lookup(client_, community, partner, tag_service):
    created = post_request(client_).json()[0]
    [body] = client_.get(f"{BASE}/tokens/{created['token']}.json", {"api_key": PARTNER_KEY}).json()
    assert body == {"service_request_id": created["service_request_id"], "token": created["token"]}
    root = xml(client_.get(f"{BASE}/tokens/{created['token']}.xml", {"api_key": PARTNER_KEY}))
    assert root.findtext("request/service_request_id") == created["service_request_id"]
    assert client_.get(f"{BASE}/tokens/not-a-token.json", {"api_key": PARTNER_KEY}).status_code == 404


def test_rate_limit_per_key(client_, community, partner, tag_service):
    from django.core.cache import cache

    cache.clear()
    partner.rate_limit = 2
    partner.save()
    assert post_request(client_).status_code == 200
    assert post_request(client_).status_code == 200
    response = post_request(client_)
    assert response.status_code == 429
    assert "rate limit" in response.json()[0]["description"]
    assert Report.objects.count() == 2
    # Another key has its own budget.
    partner_key_ensure(community=community, name="Other app", key="second-key")
    assert post_request(client_, api_key="second-key").status_code == 200


def test_round_trip_post_dispatch_get(client_, community, partner, tag_service, api_as):
    """POST → a Report like any other → the dispatcher plans and closes it → GET shows it."""
    from tests.factories import InterventionFactory

    created = post_request(client_, description="Tag sur l'abribus").json()[0]
    report = Report.objects.get(pk=created["service_request_id"])
    # The dispatcher's list (the same rows the map and the lists read) has it.
    assert Report.objects.filter(community=community, status="new").filter(pk=report.pk).exists()

    def status():
        [body] = client_.get(f"{BASE}/requests/{report.pk}.json", {"api_key": PARTNER_KEY}).json()
        return body["status"], body["extended_status"]

    assert status() == ("open", "open")
    report.status = "accepted"
    report.save()
    intervention = InterventionFactory(
        community=community,
        category=tag_service,
        report=report,
        status="scheduled",
        planned_date=timezone.localdate(),
    )
    assert status() == ("open", "action_scheduled")
    intervention.status = "done"
    intervention.ended_at = timezone.now()
    intervention.save()
    assert status() == ("closed", "fixed")
    [listed] = client_.get(f"{BASE}/requests.json", {"api_key": PARTNER_KEY, "status": "closed"}).json()
    assert listed["service_request_id"] == str(report.pk)
    assert listed["updated_datetime"] >= listed["requested_datetime"]


def test_the_dispatcher_role_sees_open311_reports_through_the_api(
    client_, community, partner, tag_service, api_as
):
    created = post_request(client_).json()[0]
    api = api_as(community, Role.DISPATCHER)
    response = api.get("/api/v1/reports/")
    assert response.status_code == 200
    ids = [str(f["id"]) for f in response.json()["features"]]
    assert created["service_request_id"] in ids


def test_a_request_posted_without_address_gets_its_ban_address(client_, community, partner, tag_service):
    AddressFactory(
        community=community,
        number=12,
        street="Rue Carnot",
        geom=Point(POITIERS[0] + 10, POITIERS[1], srid=2154),  # 10 m from where the citizen stood
    )
    lat, lon = wgs84(*POITIERS)
    response = post_request(client_, lat=lat, long=lon)
    assert response.status_code == 200, response.content
    [created] = response.json()
    [body] = client_.get(
        f"{BASE}/requests/{created['service_request_id']}.json", {"api_key": PARTNER_KEY}
    ).json()
    assert body["address"] == "12 Rue Carnot"
