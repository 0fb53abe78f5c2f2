"""Security headers on every response, and the production settings pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import CommunityFactory, member

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.partition(" ")[2] for part in policy.split("; ")}


def test_csp_has_no_third_party_origin_and_a_fresh_nonce():
    first, second = Client().get("/accounts/login/"), Client().get("/accounts/login/")
    csp = directives(first)
    assert csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "blob:" in csp["worker-src"] and "data:" in csp["img-src"] and "blob:" in csp["img-src"]
    assert csp["connect-src"] == "'self'" and csp["object-src"] == "'none'"
    for value in csp.values():
        assert "http" not in value, value  # no origin but our own
    nonce = csp["script-src"].split("'nonce-")[1].rstrip("'")
    assert nonce != directives(second)["script-src"].split("'nonce-")[1].rstrip("'")
    assert len(nonce) >= 16


def test_the_nonce_reaches_the_templates(rf):
    from django.template import engines

    from core.security import SecurityHeadersMiddleware

    template = engines["django"].from_string('<script nonce="{{ csp_nonce }}"></script>')

    def view(request):
        from django.http import HttpResponse

        return HttpResponse(template.render({"csp_nonce": request.csp_nonce}, request))

    response = SecurityHeadersMiddleware(view)(rf.get("/"))
    nonce = directives(response)["script-src"].split("'nonce-")[1].rstrip("'")
    assert f'nonce="{nonce}"'.encode() in response.content


def test_other_security_headers():
    response = Client().get("/accounts/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "geolocation=(self)" in response["Permissions-Policy"]
    assert "camera=(self)" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_an_upstream_base_map_origin_is_the_only_addition(settings):
    settings.RONDE_UPSTREAM_RASTER_URL = "https://tile.example.org/{z}/{x}/{y}.png"
    csp = directives(Client().get("/health/"))
    assert csp["img-src"].endswith("https://tile.example.org")
    assert "https://tile.example.org" not in csp["script-src"]


def test_undeclared_urls_are_refused_in_strict_mode(settings, monkeypatch):
    from accounts import access

    settings.RONDE_ACCESS_STRICT = True
    monkeypatch.delitem(access.RULES, "health")
    response = Client().get("/health/")
    assert response.status_code == 403 and "No access rule for 'health'" in response.json()["detail"]


def test_member_of_one_community_cannot_name_another(client):
    mine, other = CommunityFactory(slug="mine"), CommunityFactory(slug="theirs")
    client.force_login(member(mine, "admin"))
    assert client.get("/api/v1/reports/", {"community": other.slug}).status_code == 403
    assert client.get("/api/v1/reports/", HTTP_X_RONDE_COMMUNITY=other.slug).status_code == 403


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-" + "y" * 20,
        "DJANGO_ALLOWED_HOSTS": "ronde.example.fr",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr
