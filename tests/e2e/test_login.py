import pytest

from accounts.models import IdentityProvider, Role
from tests.e2e.conftest import assert_accessible, login
from tests.factories import PASSWORD, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_page_is_french_and_accessible(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert_accessible(page)


def test_dispatcher_logs_in_and_sees_the_community(page, live_server, community):
    user = member(community, Role.DISPATCHER)
    login(page, live_server, user.username, PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == community.name
    assert_accessible(page)


def test_wrong_password_says_so(page, live_server, community):
    user = member(community, Role.AGENT)
    login(page, live_server, user.username, "not-the-password")
    assert page.get_by_role("alert").is_visible()


def test_the_community_identity_provider_is_offered_and_says_when_it_is_down(page, live_server, community):
    """The provider's button on a phone (a 44 px target), and a clear message when it does not
    answer (the whole sign-in against a real provider: tests/accounts/test_oidc.py)."""
    IdentityProvider.objects.create(
        community=community, name="ProConnect", issuer="http://127.0.0.1:9/", client_id="x", client_secret="y"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/?next=/agent/")
    button = page.get_by_role("link", name="Se connecter avec ProConnect")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    assert_accessible(page)
    button.click()
    page.wait_for_load_state()
    assert "Le fournisseur d'identité est injoignable" in page.get_by_role("status").inner_text()
    assert page.url.endswith("/accounts/login/?next=%2Fagent%2F")
