import pytest

from accounts.models import Role
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
