"""Users of a community, managed by its administrators: create, invite, role, deactivate."""

import re

import pytest
from django.core import mail

from accounts.models import Membership, Role, User
from audit.models import AuditEvent
from tests.factories import PASSWORD, TeamFactory, member

pytestmark = pytest.mark.django_db


def test_admin_creates_an_agent_with_a_password_in_a_team(admin_client, community):
    team = TeamFactory(community=community, name="Brigade Nord")
    response = admin_client.post(
        "/administration/users/new/",
        {
            "username": "lea",
            "first_name": "Léa",
            "email": "lea@poitiers.example",
            "role": Role.AGENT,
            "teams": [team.pk],
            "how": "password",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="lea")
    assert user.check_password("a-long-pass-phrase-42")
    assert Membership.objects.get(user=user, community=community).role == Role.AGENT
    assert list(team.members.all()) == [user]
    event = AuditEvent.objects.get(object_repr__endswith=" lea", action="create")
    assert event.username == "chef" and event.changes["role"] == [None, Role.AGENT]
    assert AuditEvent.objects.filter(
        object_repr__contains="Brigade Nord", changes__members=[[], ["lea"]]
    ).exists()


def test_an_invitation_emails_a_link_that_sets_the_password(
    admin_client, client, community, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/administration/users/new/",
            {"username": "paul", "email": "paul@poitiers.example", "role": Role.DISPATCHER, "how": "invite"},
        )
    assert response.status_code == 302
    user = User.objects.get(username="paul")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["paul@poitiers.example"]
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200
    set_url = page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "brand-new-secret-77", "new_password2": "brand-new-secret-77"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-secret-77")


def test_an_invitation_needs_an_email(admin_client):
    response = admin_client.post(
        "/administration/users/new/", {"username": "x", "role": Role.AGENT, "how": "invite"}
    )
    assert response.status_code == 400
    assert 'data-error-for="email"' in response.content.decode()
    assert not User.objects.filter(username="x").exists()


def test_duplicate_username_or_email_is_an_error_on_the_field(admin_client, other_community):
    member(other_community, Role.AGENT, username="Elsewhere", email="else@autre.example")
    response = admin_client.post(
        "/administration/users/new/",
        {"username": "elsewhere", "email": "ELSE@autre.example", "role": Role.AGENT, "how": "invite"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'data-error-for="username">[^<]*déjà', text)
    assert re.search(r'data-error-for="email">[^<]*existe déjà', text)
    # The other community's person was not pulled into this one.
    assert not Membership.objects.filter(user__username="Elsewhere", community__slug="poitiers").exists()


def test_role_change_and_last_admin_protection(admin_client, admin_user, community):
    agent = member(community, Role.AGENT, username="agent1")
    response = admin_client.post(f"/administration/users/{agent.pk}/", {"role": Role.DISPATCHER})
    assert response.status_code == 302
    assert Membership.objects.get(user=agent).role == Role.DISPATCHER
    assert AuditEvent.objects.filter(changes__role=[Role.AGENT, Role.DISPATCHER]).exists()

    # The only administrator can neither demote nor deactivate themselves.
    response = admin_client.post(f"/administration/users/{admin_user.pk}/", {"role": Role.VIEWER})
    assert response.status_code == 400
    assert "dernier administrateur" in response.content.decode()
    assert Membership.objects.get(user=admin_user).role == Role.ADMIN
    response = admin_client.post(
        f"/administration/users/{admin_user.pk}/active/", {"confirm": "yes", "active": "0"}, follow=True
    )
    assert "dernier administrateur" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_deactivate_never_deletes_and_blocks_login(admin_client, client, community):
    agent = member(community, Role.AGENT, username="agent2")
    response = admin_client.post(
        f"/administration/users/{agent.pk}/active/", {"confirm": "yes", "active": "0"}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.is_active and Membership.objects.filter(user=agent).exists()
    assert not client.login(username="agent2", password=PASSWORD)
    assert AuditEvent.objects.filter(changes__is_active=[True, False]).exists()
    listing = admin_client.get("/administration/users/").content.decode()
    assert 'data-username="agent2" data-active="0"' in listing


def test_password_link_is_sent(admin_client, community, django_capture_on_commit_callbacks):
    agent = member(community, Role.AGENT, username="agent3", email="a3@poitiers.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/administration/users/{agent.pk}/password-link/", {"confirm": "yes"})
    assert response.status_code == 302
    assert mail.outbox[0].to == ["a3@poitiers.example"] and "/accounts/reset/" in mail.outbox[0].body


def test_a_person_of_another_community_is_a_404(admin_client, other_community):
    stranger = member(other_community, Role.AGENT, username="stranger")
    assert admin_client.get(f"/administration/users/{stranger.pk}/").status_code == 404
    response = admin_client.post(
        f"/administration/users/{stranger.pk}/active/", {"confirm": "yes", "active": "0"}
    )
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active


def test_list_shows_role_team_last_login_and_status(admin_client, community):
    team = TeamFactory(community=community, name="Brigade Sud")
    agent = member(community, Role.AGENT, username="agent4")
    team.members.add(agent)
    text = admin_client.get("/administration/users/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    row = text.split('data-username="agent4"')[1].split("</tr>")[0]
    assert "Brigade Sud" in row and "Agent" in row and "jamais" in row and "Actif" in row


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.AGENT, Role.VIEWER])
def test_only_administrators(client, community, role):
    client.force_login(member(community, role))
    assert client.get("/administration/users/").status_code == 403


def test_a_mail_server_down_is_no_server_error(
    admin_client, community, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/administration/users/new/",
            {"username": "zoe", "email": "zoe@poitiers.example", "role": Role.AGENT, "how": "invite"},
        )
    assert response.status_code == 302
    assert User.objects.filter(username="zoe").exists()
