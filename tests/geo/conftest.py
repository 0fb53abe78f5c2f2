"""Fixtures shared by the web import tests."""

import pytest

from accounts.models import Role
from tests.factories import AssetCategoryFactory, member


@pytest.fixture
def admin_client(client, community):
    """The community's administrator, logged in, with an asset category "bench"."""
    AssetCategoryFactory(community=community, code="bench", name="Banc")
    client.force_login(member(community, Role.ADMIN))
    return client
