"""GIS-client sign-in (accounts/basic.py): HTTP Basic with a password or an API token on
/ogc/ and /wfs/, the 401 challenge GDAL and QGIS answer, the django-axes lockout; CORS for a
community's website (accounts/cors.py)."""

import base64

import pytest
from django.test import Client

from accounts.basic import forget_all
from accounts.models import Role
from accounts.services import api_token_create
from tests.factories import PASSWORD, member
from tests.interop.test_ogc_clients import run

CHALLENGE = 'Basic realm="Ronde", charset="UTF-8"'


def basic(username: str, password: str) -> dict[str, str]:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    forget_all()
    yield
    forget_all()


@pytest.fixture
def viewer(data, community):
    return member(community, Role.VIEWER)


@pytest.mark.django_db
def test_missing_credentials_are_challenged(client: Client, data, community):
    # Nothing published anywhere: the list of collections asks for credentials.
    for path in ("/ogc/collections", "/ogc/collections/reports/items"):
        response = client.get(path)
        assert response.status_code == 401 and response["WWW-Authenticate"] == CHALLENGE
    named = client.get("/ogc/collections", {"community": "poitiers"})
    assert named.status_code == 401 and named["WWW-Authenticate"] == CHALLENGE
    wfs = client.get("/wfs/", {"SERVICE": "WFS", "REQUEST": "GetCapabilities", "community": "poitiers"})
    assert wfs.status_code == 401 and wfs["WWW-Authenticate"] == CHALLENGE
    # The landing page only describes the service: open.
    assert client.get("/ogc/", {"f": "json"}).status_code == 200


@pytest.mark.django_db
def test_basic_with_a_password_or_a_token(client: Client, viewer):
    listed = client.get("/ogc/collections", **basic(viewer.username, PASSWORD))
    assert listed.status_code == 200
    assert "reports" in {c["id"] for c in listed.json()["collections"]}
    key = api_token_create(user=viewer)[1]
    items = client.get("/ogc/collections/reports/items", **basic("token", key)).json()
    assert items["numberMatched"] == 7
    wfs = client.get(
        "/wfs/", {"SERVICE": "WFS", "REQUEST": "GetCapabilities"}, **basic(viewer.username, PASSWORD)
    )
    assert wfs.status_code == 200 and b"ronde:reports" in wfs.content
    # Bad credentials are a 401 with the challenge, never an anonymous 200.
    for headers in (
        basic(viewer.username, "wrong-password"),
        basic("nobody", PASSWORD),
        basic("token", "f" * 40),
        {"HTTP_AUTHORIZATION": "Basic not-base64!"},
    ):
        response = client.get("/ogc/collections", **headers)
        assert response.status_code == 401 and response["WWW-Authenticate"] == CHALLENGE
    # A deactivated account is out at once, even with a pair verified a moment ago.
    viewer.is_active = False
    viewer.save()
    assert client.get("/ogc/collections", **basic(viewer.username, PASSWORD)).status_code == 401


@pytest.mark.django_db
def test_lockout_applies_to_basic(client: Client, viewer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert client.get("/ogc/collections", **basic(viewer.username, "guess")).status_code == 401
    # The third failure locks the pair out: then even the right password is refused.
    assert client.get("/ogc/collections", **basic(viewer.username, "guess")).status_code == 429
    locked = client.get("/ogc/collections", **basic(viewer.username, PASSWORD))
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    # Nothing else in: the same pair on WFS is locked too.
    wfs = client.get("/wfs/", {"REQUEST": "GetCapabilities"}, **basic(viewer.username, PASSWORD))
    assert wfs.status_code == 429


@pytest.mark.django_db
def test_basic_is_only_for_the_map_services(client: Client, viewer):
    # The REST API keeps sessions and tokens: Basic there is not a way in.
    assert client.get("/api/v1/reports/", **basic(viewer.username, PASSWORD)).status_code == 401


@pytest.mark.django_db
def test_cors_for_the_origins_a_community_lists(client: Client, data, community, other_community):
    community.settings = {"publish_ogc": True, "cors_origins": ["https://www.poitiers.fr"]}
    community.save()
    site = {"HTTP_ORIGIN": "https://www.poitiers.fr"}
    allowed = client.get("/ogc/collections", {"community": "poitiers"}, **site)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == "https://www.poitiers.fr"
    assert "Access-Control-Allow-Credentials" not in allowed
    wfs = client.get("/wfs/", {"REQUEST": "GetCapabilities", "community": "poitiers"}, **site)
    assert wfs["Access-Control-Allow-Origin"] == "https://www.poitiers.fr"
    preflight = client.options(
        "/ogc/collections/reports/items", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **site
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://www.poitiers.fr"
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    # Another origin, or another community's data, or a non-public URL: no CORS header.
    other = client.get("/ogc/collections", {"community": "poitiers"}, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    elsewhere = client.get("/ogc/collections", {"community": "autre"}, **site)
    assert "Access-Control-Allow-Origin" not in elsewhere
    api = client.get("/api/v1/reports/", **site)
    assert "Access-Control-Allow-Origin" not in api


@pytest.mark.django_db(transaction=True)
def test_gdal_reads_ogc_and_wfs_with_userpwd(live_server, viewer, community):
    import os

    for auth in ("BASIC", "ANY"):  # ANY: GDAL first asks without, then answers the challenge
        env = {
            **os.environ,
            "GDAL_HTTP_USERPWD": f"{viewer.username}:{PASSWORD}",
            "GDAL_HTTP_AUTH": auth,
            "CPL_DEBUG": "OFF",
        }
        summary = run(["ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogc/", "reports"], env)
        assert "Feature Count: 7" in summary, summary
        wfs = run(["ogrinfo", "-ro", "-so", f"WFS:{live_server.url}/wfs/", "reports"], env)
        assert "Feature Count: 7" in wfs, wfs


@pytest.mark.django_db
def test_nul_characters_are_refused_not_crashed_on(client: Client, viewer):
    """PostgreSQL text cannot hold NUL: found by schemathesis on ?community= (a 500)."""
    assert client.get("/ogc/collections", {"community": "\x00x"}).status_code == 404
    assert client.get("/ogc/collections", **basic(viewer.username + "\x00", PASSWORD)).status_code == 401
    assert (
        client.get("/tiles/style.json", {"community": "\x00"}, **basic(viewer.username, PASSWORD)).status_code
        == 403
    )
    cors = client.get("/ogc/collections", {"community": "\x00"}, HTTP_ORIGIN="https://www.poitiers.fr")
    assert cors.status_code == 404 and "Access-Control-Allow-Origin" not in cors


@pytest.mark.django_db
def test_a_second_factor_community_takes_a_token_not_a_password(client: Client, data, community):
    community.settings = {"require_totp": True}
    community.save()
    dispatcher = member(community, Role.DISPATCHER)
    refused = client.get("/ogc/collections", **basic(dispatcher.username, PASSWORD))
    assert refused.status_code == 401 and "token" in refused.json()["detail"]
    key = api_token_create(user=dispatcher)[1]
    assert client.get("/ogc/collections", **basic(dispatcher.username, key)).status_code == 200
