"""Login throttling: 5 failures for one username from one address lock that pair out, with a
clear message, on the login form, the admin and the API token endpoint."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, CommunityFactory, member

pytestmark = pytest.mark.django_db
LIMIT = 5


@pytest.fixture
def user(db):
    return member(CommunityFactory(slug="throttle"), "dispatcher", username="lucie")


def fail(client: Client, path: str, username: str = "lucie", **extra):
    return client.post(path, {"username": username, "password": "wrong-password"}, **extra)


def test_login_form_locks_out_after_five_failures(user):
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(LIMIT - 1):
        assert fail(client, "/accounts/login/").status_code == 200
    locked = fail(client, "/accounts/login/")
    assert locked.status_code == 429
    assert b'id="lockout"' in locked.content
    # Even the right password is refused while locked out.
    right = client.post("/accounts/login/", {"username": "lucie", "password": PASSWORD})
    assert right.status_code == 429
    # The message exists in both languages (English here; French is the default language).
    english = Client(REMOTE_ADDR="192.0.2.10", HTTP_ACCEPT_LANGUAGE="en")
    english.cookies["django_language"] = "en"
    assert b"Too many failed log-in attempts" in fail(english, "/accounts/login/").content


def test_another_address_or_user_is_not_locked(user):
    client = Client(REMOTE_ADDR="192.0.2.11")
    for _ in range(LIMIT):
        fail(client, "/accounts/login/")
    assert (
        Client(REMOTE_ADDR="192.0.2.12")
        .post("/accounts/login/", {"username": "lucie", "password": PASSWORD})
        .status_code
        == 302
    )


def test_api_token_endpoint_is_throttled_with_json(user):
    client = Client(REMOTE_ADDR="192.0.2.20")
    for _ in range(LIMIT - 1):
        assert fail(client, "/api/v1/auth/token/").status_code == 400
    locked = fail(client, "/api/v1/auth/token/")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert client.post("/api/v1/auth/token/", {"username": "lucie", "password": PASSWORD}).status_code == 429


def test_admin_login_is_throttled(user):
    client = Client(REMOTE_ADDR="192.0.2.30")
    for _ in range(LIMIT):
        response = fail(client, "/admin/login/")
    assert response.status_code == 429


def test_a_success_resets_the_count(user):
    client = Client(REMOTE_ADDR="192.0.2.40")
    for _ in range(LIMIT - 1):
        fail(client, "/accounts/login/")
    assert client.post("/accounts/login/", {"username": "lucie", "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert fail(client, "/accounts/login/").status_code == 200


def test_weak_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("short-pw1")  # 9 characters
    validate_password("correct-horse-battery")


def test_many_usernames_from_one_address_lock_the_address_out(user):
    """A probe tried 40 usernames from one address, once each: the address must lock out
    (at RONDE_LOGIN_ADDRESS_FAILURE_LIMIT, 30), a right password included, other addresses not."""
    client = Client(REMOTE_ADDR="192.0.2.50")
    statuses = [fail(client, "/accounts/login/", username=f"guess{i}").status_code for i in range(40)]
    assert statuses[:29] == [200] * 29
    assert set(statuses[29:]) == {429}
    locked = client.post("/accounts/login/", {"username": "lucie", "password": PASSWORD})
    assert locked.status_code == 429
    api = Client(REMOTE_ADDR="192.0.2.50", HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/", {"username": "someone", "password": "whatever"}
    )
    assert api.status_code == 429
    assert "Too many failed log-in attempts from your address" in api.json()["detail"]
    assert (
        Client(REMOTE_ADDR="192.0.2.51")
        .post("/accounts/login/", {"username": "lucie", "password": PASSWORD})
        .status_code
        == 302
    )


def test_logging_into_ones_own_account_does_not_clear_the_address_count(user):
    client = Client(REMOTE_ADDR="192.0.2.60")
    for i in range(25):
        fail(client, "/accounts/login/", username=f"guess{i}")
    assert client.post("/accounts/login/", {"username": "lucie", "password": PASSWORD}).status_code == 302
    client.logout()
    statuses = [fail(client, "/accounts/login/", username=f"other{i}").status_code for i in range(5)]
    assert statuses[-1] == 429
