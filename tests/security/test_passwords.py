"""A password made of the username repeated ("jdupontjdupont") is refused, through the real
password-change form and the create_user command; Django's similarity check alone lets it by."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, CommunityFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return CommunityFactory(slug="passwords")


@pytest.mark.parametrize("new_password", ["jdupontjdupont", "JDupontJDupont!", "jdupont2025"])
def test_password_change_form_refuses_the_username_repeated(community, new_password):
    user = member(community, "dispatcher", username="jdupont")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "made of your user name" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_form_accepts_a_real_password(community):
    user = member(community, "dispatcher", username="jdupont")
    client = Client()
    client.force_login(user)
    new = "brigade-nord-printemps"
    response = client.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_create_user_refuses_the_username_repeated(community, monkeypatch):
    monkeypatch.setenv("RONDE_USER_PASSWORD", "mmartinmmartin")
    with pytest.raises(CommandError, match="Password refused"):
        call_command(
            "create_user", "mmartin", "--community", community.slug, "--role", "agent",
            "--password-env", "RONDE_USER_PASSWORD",
        )  # fmt: skip
    assert not User.objects.filter(username="mmartin").exists()
