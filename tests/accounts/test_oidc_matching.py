"""Who an OpenID Connect identity opens (accounts/oidc.identity_match), and who configures it.

The whole flow against a real provider is in test_oidc.py; here the rules on the email and the
admin of the providers, without a provider process.
"""

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import IdentityProvider, Role, User
from accounts.oidc import SignInRefused, identity_match
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def provider(community):
    return IdentityProvider.objects.create(
        community=community,
        name="Annuaire",
        issuer="https://idp.example.org/realms/ville",
        client_id="ronde",
        client_secret="s3cret",
        allowed_email_domains="ville.fr, @mairie.fr",
    )


def test_the_email_opens_the_one_active_member_of_the_providers_community(provider, community):
    agent = member(community, Role.AGENT, email="Nadia.Ben@Ville.fr")
    assert identity_match(provider=provider, claims={"email": "nadia.ben@VILLE.FR"}) == agent
    colleague = member(community, Role.AGENT, email="paul@mairie.fr")
    assert (
        identity_match(provider=provider, claims={"email": "paul@mairie.fr", "email_verified": True})
        == colleague
    )


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({}, "did not give an email"),
        ({"email": "nadia@ville.fr", "email_verified": False}, "has not verified"),
        ({"email": "nadia@ailleurs.fr"}, "domain is not accepted"),
        ({"email": "personne@ville.fr"}, "No account of this community"),
    ],
)
def test_refusals(provider, community, claims, why):
    member(community, Role.AGENT, email="nadia@ville.fr")
    with pytest.raises(SignInRefused, match=why):
        identity_match(provider=provider, claims=claims)


def test_two_accounts_with_one_email_open_neither(provider, community):
    member(community, Role.AGENT, email="nadia@ville.fr")
    member(community, Role.VIEWER, email="NADIA@ville.fr")
    with pytest.raises(SignInRefused, match="Several accounts"):
        identity_match(provider=provider, claims={"email": "nadia@ville.fr"})


def test_a_user_without_a_membership_here_is_not_opened(provider, other_community):
    member(other_community, Role.ADMIN, email="chef@ville.fr")
    User.objects.create_user(username="sans-role", email="libre@ville.fr", password="x-Long-enough-1")
    for email in ("chef@ville.fr", "libre@ville.fr"):
        with pytest.raises(SignInRefused, match="No account of this community"):
            identity_match(provider=provider, claims={"email": email})


def test_only_superusers_see_or_change_the_providers(provider, community):
    url = f"/admin/accounts/identityprovider/{provider.pk}/change/"
    admin = member(community, Role.ADMIN, is_staff=True)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    assert "identityprovider" not in client.get("/admin/").content.decode()
    assert client.get(url).status_code in (302, 403)
    assert client.get("/admin/accounts/identityprovider/").status_code == 403

    operator = User.objects.create_superuser(
        username="operateur", email="op@example.org", password="x-Long-1-op"
    )
    client.force_login(operator)
    assert client.get(url).status_code == 200
    add = client.post(
        "/admin/accounts/identityprovider/add/",
        {
            "community": provider.community_id,
            "name": "Doublon",
            "issuer": "https://idp.example.org",
            "client_id": "x",
            "client_secret": "y",
            "enabled": "on",
        },
    )
    assert add.status_code == 200 and "existe déjà" in add.content.decode()  # one per community
