"""Sign-in through a community's OpenID Connect provider, against a real provider on loopback.

The provider is django-oidc-provider in its own process (fixtures/idp/, the demo's local one);
Ronde runs as pytest-django's live server; an httpx client plays the browser: it follows the
redirects between the two, fills the provider's login form, and keeps both sessions' cookies.
"""

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from accounts.models import IdentityProvider, Role
from benchmarks.harness import free_port
from fixtures.demo_idp import idp_start
from tests.factories import CommunityFactory, member

pytestmark = pytest.mark.django_db(transaction=True)

IDP_PASSWORD = "mot-de-passe-du-fournisseur"
# Who exists at the provider (their email as the provider gives it).
IDP_USERS = {
    "agent": "Agent.Durand@Ville-A.fr",  # a member of community A (other case in Ronde)
    "inconnu": "inconnu@ville-a.fr",  # nobody in Ronde
    "parti": "parti@ville-a.fr",  # a deactivated member of community A
    "voisin": "voisin@ville-b.fr",  # a member of community B only
    "dispatch": "regulation@ville-a.fr",  # a dispatcher of A, whose community requires TOTP
}


@pytest.fixture(scope="module")
def idp(live_server, tmp_path_factory) -> Iterator[dict]:
    """The provider process, with a client for each of two communities."""
    tmp = tmp_path_factory.mktemp("idp")
    port = free_port()
    site = f"http://localhost:{port}"
    clients = {
        key: {
            "client_id": f"ronde-{key}",
            "client_secret": f"secret-{key}",
            "redirect_uris": [],  # set below, once Ronde's provider ids are chosen
            "post_logout_redirect_uris": [f"{live_server.url}/accounts/login/"],
        }
        for key in ("a", "b")
    }
    config = {
        "port": port,
        "db": str(tmp / "idp.sqlite3"),
        "site_url": site,
        "users": [{"username": u, "password": IDP_PASSWORD, "email": e} for u, e in IDP_USERS.items()],
        "clients": list(clients.values()),
    }
    # Ronde's providers get these ids (the callback URL is registered at the provider).
    ids = {"a": 9101, "b": 9102}
    for key, client in clients.items():
        client["redirect_uris"] = [f"{live_server.url}/accounts/oidc/{ids[key]}/callback/"]
    (tmp / "config.json").write_text(json.dumps(config))
    process = idp_start(tmp / "config.json")
    try:
        yield {"issuer": f"{site}/openid", "clients": clients, "ids": ids}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def world(idp):
    a = CommunityFactory(slug="ville-a", name="Ville A")
    b = CommunityFactory(slug="ville-b", name="Ville B")
    providers = {}
    for key, community in (("a", a), ("b", b)):
        client = idp["clients"][key]
        providers[key] = IdentityProvider.objects.create(
            pk=idp["ids"][key],
            community=community,
            name=f"Annuaire {community.name}",
            issuer=idp["issuer"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            allowed_email_domains=f"ville-{key}.fr",
        )
    agent = member(a, Role.AGENT, username="adurand", email="agent.durand@ville-a.fr")
    gone = member(a, Role.AGENT, username="parti", email="parti@ville-a.fr")
    gone.is_active = False
    gone.save()
    member(b, Role.AGENT, username="voisin", email="voisin@ville-b.fr")
    return {"a": a, "b": b, "providers": providers, "agent": agent}


def _browser() -> httpx.Client:
    return httpx.Client(follow_redirects=True, timeout=20, headers={"Accept-Language": "fr"})


def _sign_in(
    browser: httpx.Client,
    live_server,
    provider: IdentityProvider,
    idp_user: str,
    start: str = "/accounts/login/",
) -> httpx.Response:
    """From a Ronde page to its login page, the provider's button, the provider's login form, back."""
    login_page = browser.get(f"{live_server.url}{start}")
    assert login_page.url.path == "/accounts/login/"
    assert f"Se connecter avec {provider.name}" in login_page.text
    href = re.search(rf'href="([^"]*/accounts/oidc/{provider.pk}/login/[^"]*)"', login_page.text)
    assert href is not None
    at_provider = browser.get(f"{live_server.url}{href.group(1)}")
    assert at_provider.url.path == "/login/", at_provider.url
    # The authorization request Ronde sent carries a PKCE challenge (S256) and a nonce.
    authorize = parse_qs(urlsplit(parse_qs(at_provider.url.query.decode())["next"][0]).query)
    assert authorize["code_challenge_method"] == ["S256"] and len(authorize["code_challenge"][0]) >= 43
    assert authorize["nonce"] and authorize["response_type"] == ["code"]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', at_provider.text)
    assert csrf is not None
    return browser.post(
        str(at_provider.url),
        data={
            "csrfmiddlewaretoken": csrf.group(1),
            "username": idp_user,
            "password": IDP_PASSWORD,
            "next": parse_qs(at_provider.url.query.decode())["next"][0],
        },
    )


def _signed_in_as(browser: httpx.Client, live_server) -> str | None:
    """Whose name the page header's logout button shows, if anyone's."""
    home = browser.get(f"{live_server.url}/")
    found = re.search(r"Se déconnecter(?:<span[^>]*>)? \(([^)]+)\)(?:</span>)?</button>", home.text)
    return found.group(1) if found else None


def test_an_agent_signs_in_through_the_provider_then_logs_out(world, live_server):
    with _browser() as browser:
        back = _sign_in(browser, live_server, world["providers"]["a"], "agent", start="/agent/")
        # Back where they were going, signed in.
        assert back.status_code == 200
        assert back.url.host in live_server.url and back.url.path == "/agent/", back.url
        assert _signed_in_as(browser, live_server) == "adurand"

        # Logout: Ronde's session ends, then the provider's (RP-initiated), back to the login page.
        csrf = browser.cookies.get("csrftoken")
        out = browser.post(
            f"{live_server.url}/accounts/logout/",
            headers={"X-CSRFToken": csrf or "", "Referer": f"{live_server.url}/"},
        )
        hops = [str(r.url) for r in out.history]
        assert any("/openid/end-session" in hop for hop in hops), hops
        assert out.url.path == "/accounts/login/" and out.status_code == 200
        assert _signed_in_as(browser, live_server) is None
        # The provider forgot the person too: signing in again asks for their password.
        again = browser.get(f"{live_server.url}/accounts/oidc/{world['providers']['a'].pk}/login/")
        assert again.url.path == "/login/" and "password" in again.text


@pytest.mark.parametrize(
    ("provider_key", "idp_user", "message"),
    [
        ("a", "inconnu", "Aucun compte de cette collectivité"),
        ("a", "parti", "Ce compte est désactivé"),
        ("a", "voisin", "domaine"),  # community B's member at A's provider: wrong domain
        ("b", "agent", "domaine"),
    ],
)
def test_refused_identities(world, live_server, provider_key, idp_user, message):
    with _browser() as browser:
        back = _sign_in(browser, live_server, world["providers"][provider_key], idp_user, start="/agent/")
        assert back.url.path == "/accounts/login/", back.url
        assert back.url.params.get("next") == "/agent/"  # may still try another way to get there
        assert message in back.text
        assert _signed_in_as(browser, live_server) is None


def test_a_provider_of_another_community_cannot_open_this_one(world, live_server):
    """Even when its domains would let the email through, B's provider only opens B's members."""
    b_provider = world["providers"]["b"]
    b_provider.allowed_email_domains = ""
    b_provider.save()
    with _browser() as browser:
        back = _sign_in(browser, live_server, b_provider, "agent")  # a member of A only
        assert back.url.path == "/accounts/login/"
        assert "Aucun compte de cette collectivité" in back.text
        assert _signed_in_as(browser, live_server) is None


def test_a_dispatcher_still_owes_the_second_factor(world, live_server):
    a = world["a"]
    a.settings = {"require_totp": True}
    a.save()
    member(a, Role.DISPATCHER, username="regul", email="regulation@ville-a.fr")
    with _browser() as browser:
        back = _sign_in(browser, live_server, world["providers"]["a"], "dispatch")
        assert back.url.path == "/accounts/two-factor/", back.url
        dispatch = browser.get(f"{live_server.url}/dispatch/")
        assert dispatch.url.path == "/accounts/two-factor/"


def test_a_forged_callback_signs_nobody_in(world, live_server):
    """A code and state Ronde did not ask for (no state in the session): refused, no 500."""
    with _browser() as browser:
        back = browser.get(
            f"{live_server.url}/accounts/oidc/{world['providers']['a'].pk}/callback/?code=x&state=y"
        )
        assert back.url.path == "/accounts/login/" and back.status_code == 200
        assert "fournisseur d&#x27;identité a échoué" in back.text
        assert _signed_in_as(browser, live_server) is None
