"""Optional TOTP second factor: a community asks its administrators and dispatchers for a
code from an authenticator app; enrolment on first use; agents, viewers and API tokens are
not asked."""

import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from accounts.services import api_token_create
from audit.models import AuditEvent
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db


def code_for(user, shift: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    return (
        f"{(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits) + shift) % 10**6:06d}"
    )


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_off_by_default(community):
    admin = member(community, Role.ADMIN)
    assert logged_in(admin).get("/administration/").status_code == 200


def test_admin_turns_it_on_then_enrols_and_gives_codes(community):
    admin = member(community, Role.ADMIN, username="chef")
    client = logged_in(admin)
    response = client.post("/administration/security/", {"confirm": "yes", "require_totp": "1"})
    assert response.status_code == 302
    community.refresh_from_db()
    assert community.settings["require_totp"] is True
    assert AuditEvent.objects.filter(changes__require_totp=[False, True], username="chef").exists()

    # From now on the administrator is sent to the code page, which enrols them first.
    response = client.get("/administration/users/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/?next=%2Fadministration%2Fusers%2F"
    page = client.get(response["Location"]).content.decode()
    assert 'id="totp-secret"' in page and "otpauth://totp/" in page
    wrong = client.post(response["Location"], {"code": code_for(admin, shift=1)})
    assert wrong.status_code == 400 and 'data-error-for="code"' in wrong.content.decode()
    time.sleep(1.1)  # django-otp refuses any code for 1 s after a wrong one (then 2 s, 4 s…)
    right = client.post(response["Location"], {"code": code_for(admin)})
    assert right.status_code == 302 and right["Location"] == "/administration/users/"
    assert client.get("/administration/users/").status_code == 200
    assert TOTPDevice.objects.get(user=admin).confirmed

    # A new sign-in asks for a code again, without enrolling anew.
    again = logged_in(admin)
    assert again.get("/administration/").status_code == 302
    page = again.get("/accounts/two-factor/").content.decode()
    assert 'id="totp-secret"' not in page


def test_dispatchers_are_asked_agents_and_tokens_are_not(community):
    community.settings = {"require_totp": True}
    community.save()
    dispatcher = member(community, Role.DISPATCHER)
    client = logged_in(dispatcher)
    assert client.get("/dispatch/")["Location"].startswith("/accounts/two-factor/")
    api = client.get("/api/v1/teams/")
    assert api.status_code == 403 and "second factor" in api.json()["detail"]
    assert logged_in(member(community, Role.AGENT)).get("/agent/").status_code == 200
    assert logged_in(member(community, Role.VIEWER)).get("/dashboards/").status_code == 200
    _token, key = api_token_create(user=dispatcher)
    assert Client().get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_a_code_is_not_asked_by_another_community(community, other_community):
    other_community.settings = {"require_totp": True}
    other_community.save()
    admin = member(community, Role.ADMIN)
    assert logged_in(admin).get("/administration/").status_code == 200


def test_devices_are_the_operators_alone_in_the_django_admin(community):
    admin = member(community, Role.ADMIN, username="chef-staff")
    admin.is_staff = True
    admin.save()
    TOTPDevice.objects.create(user=admin, name="Ronde", confirmed=True)
    staff = logged_in(admin)
    assert staff.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert "otp_totp" not in staff.get("/admin/").content.decode()
    from accounts.models import User

    operator = User.objects.create_superuser("operator", "op@example.org", PASSWORD)
    client = logged_in(operator)
    listing = client.get("/admin/otp_totp/totpdevice/")
    assert listing.status_code == 200 and "chef-staff" in listing.content.decode()
    # No config/QR views (the secret is never shown again; django-otp's answered 500 on a bad id).
    assert client.get("/admin/otp_totp/totpdevice/999999/config/").status_code in (302, 404)
