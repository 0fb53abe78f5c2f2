"""Open311 findings of the security probe (issue 22, low): control characters in XML, the token
lookup without a key (as GeoReport v2 says), the per-key rate limit in the shared cache."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from tests.factories import ReportFactory

from .conftest import PARTNER_KEY
from .helpers import xml
from .test_open311 import BASE, post_request

pytestmark = pytest.mark.django_db


def test_control_characters_in_a_description_keep_requests_xml_valid(community, partner, tag_service):
    client = Client()
    created = post_request(client, description="Tag\x0b rouge\x01 sur le mur\ttabulé").json()[0]
    root = xml(client.get(f"{BASE}/requests.xml", {"api_key": PARTNER_KEY}))  # parses, or fails here
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == created["service_request_id"]
    assert request.findtext("description") == "Tag rouge sur le mur\ttabulé"
    one = xml(client.get(f"{BASE}/requests/{created['service_request_id']}.xml", {"api_key": PARTNER_KEY}))
    assert one.findtext("request/description") == "Tag rouge sur le mur\ttabulé"


def test_control_characters_from_any_source_keep_requests_xml_valid(community, partner):
    """A report written by another path (the field app, an import) is served by the same writer."""
    ReportFactory(community=community, description="\x1bBanc\ufffe cassé\x7f")
    root = xml(Client().get(f"{BASE}/requests.xml", {"api_key": PARTNER_KEY}))
    assert root.findtext("request/description") == "Banc cassé\x7f"  # DEL is allowed in XML 1.0


def test_token_lookup_needs_no_key_and_gives_only_the_id(community, partner, tag_service):
    created = post_request(Client()).json()[0]
    anonymous = Client()
    [body] = anonymous.get(f"{BASE}/tokens/{created['token']}.json").json()
    assert body == {"service_request_id": created["service_request_id"], "token": created["token"]}
    # The request itself stays behind the key in a community that closes its requests.
    community.settings = {"open311_public_requests": False}
    community.save()
    assert anonymous.get(f"{BASE}/requests/{created['service_request_id']}.json").status_code == 403


def test_the_per_key_rate_limit_is_counted_in_the_shared_database_cache(community, partner, tag_service):
    """Production's cache is a table every worker reads (not one memory per process)."""
    partner.rate_limit = 2
    partner.save()
    with override_settings(CACHES={"default": settings.RONDE_SHARED_CACHE}):
        assert post_request(Client()).status_code == 200
        assert post_request(Client()).status_code == 200
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM ronde_cache WHERE cache_key LIKE %s", ["%open311:rate:%"])
            assert cursor.fetchone()[0] == 1
        assert post_request(Client()).status_code == 429


def test_production_settings_use_the_shared_cache():
    import subprocess
    import sys

    env = {"DJANGO_SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])"
    import os

    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["django.core.cache.backends.db.DatabaseCache", "ronde_cache"]
