"""API tokens expire, are listed and revoked by their owner, and die with the access they
were given for: password change, deactivation, a role removed or changed (issue 22)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Membership, Role
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db
TOKEN, TOKENS, READ = "/api/v1/auth/token/", "/api/v1/auth/tokens/", "/api/v1/interventions/"


def obtain(username: str, name: str = "") -> str:
    response = APIClient().post(
        TOKEN, {"username": username, "password": PASSWORD, "name": name}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_old_token_dies_when_the_password_changes(community):
    """The probe: after /accounts/password_change/ the old token still read the API."""
    user = member(community, Role.DISPATCHER, username="claire")
    key = obtain("claire")
    assert with_token(key).get(READ).status_code == 200
    browser = Client()
    browser.force_login(user)
    new = "Un-autre-mot-de-passe-42"
    changed = browser.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert changed.status_code == 302, changed.content.decode()[:2000]
    assert with_token(key).get(READ).status_code == 401


def test_deactivation_and_role_removal_revoke_tokens(community, other_community):
    user = member(community, Role.DISPATCHER, username="denis")
    Membership.objects.create(user=user, community=other_community, role=Role.VIEWER)
    key = obtain("denis")
    # A role changed (even in another community): revoked.
    Membership.objects.filter(user=user, community=other_community).get().delete()
    assert with_token(key).get(READ).status_code == 401
    key = obtain("denis")
    membership = Membership.objects.get(user=user, community=community)
    membership.role = Role.VIEWER
    membership.save()
    assert with_token(key).get(READ).status_code == 401
    key = obtain("denis")
    assert with_token(key).get(READ).status_code == 200
    user.is_active = False
    user.save()
    assert not ApiToken.objects.filter(user=user).exists()
    assert with_token(key).get(READ).status_code == 401


def test_hash_upgrade_at_login_is_not_a_password_change(community):
    member(community, Role.VIEWER, username="eve")
    first = obtain("eve")
    obtain("eve")  # logging in again (check_password, possibly re-hashing) keeps the first
    assert with_token(first).get(READ).status_code == 200


def test_tokens_expire_with_a_clear_401(community, settings):
    settings.RONDE_API_TOKEN_TTL_DAYS = 30
    member(community, Role.VIEWER, username="fanny")
    before = timezone.now()
    response = APIClient().post(TOKEN, {"username": "fanny", "password": PASSWORD}, format="json")
    body = response.json()
    assert set(body) >= {"token", "id", "expires_at"}
    token = ApiToken.objects.get(pk=body["id"])
    assert dt.timedelta(days=29, hours=23) < token.expires_at - before <= dt.timedelta(days=30, seconds=5)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    refused = with_token(body["token"]).get(READ)
    assert refused.status_code == 401
    assert "expir" in refused.json()["detail"] and "/api/v1/auth/token/" in refused.json()["detail"]
    # The OGC API and the tiles apply the same rule.
    assert with_token(body["token"]).get("/ogc/collections").status_code == 401
    assert with_token(body["token"]).get("/tiles/reports/14/8207/5863.mvt").status_code == 401


def test_list_and_revoke_own_tokens_only(community):
    member(community, Role.AGENT, username="gael")
    member(community, Role.AGENT, username="hugo")
    laptop, script = obtain("gael", "QGIS"), obtain("gael", "script")
    theirs = obtain("hugo")
    listed = with_token(laptop).get(TOKENS)
    assert listed.status_code == 200
    rows = listed.json()
    assert [r["name"] for r in rows] == ["script", "QGIS"]
    assert [r["current"] for r in rows] == [False, True]
    assert all(laptop not in str(r) and script not in str(r) for r in rows)  # keys are never shown
    assert {r["prefix"] for r in rows} == {laptop[:8], script[:8]}
    # Someone else's token: 404, and it keeps working.
    hugo_id = ApiToken.objects.get(user__username="hugo").pk
    assert with_token(laptop).delete(f"{TOKENS}{hugo_id}/").status_code == 404
    assert with_token(theirs).get(READ).status_code == 200
    # Revoking one's own: that token stops at once, the other goes on.
    script_id = next(r["id"] for r in rows if r["name"] == "script")
    assert with_token(laptop).delete(f"{TOKENS}{script_id}/").status_code == 204
    assert with_token(script).get(READ).status_code == 401
    assert with_token(laptop).get(READ).status_code == 200


def test_a_browser_session_manages_tokens_too(community):
    user = member(community, Role.VIEWER, username="ines")
    obtain("ines", "QGIS")
    browser = Client()
    browser.force_login(user)
    [row] = browser.get(TOKENS).json()
    assert row["name"] == "QGIS" and row["current"] is False
    assert browser.delete(f"{TOKENS}{row['id']}/").status_code == 204
    assert Client().get(TOKENS).status_code == 401
