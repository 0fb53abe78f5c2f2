import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import member


@pytest.fixture
def admin_user(community):
    return member(community, Role.ADMIN, username="chef", email="chef@poitiers.example")


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client
