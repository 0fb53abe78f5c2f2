"""API test clients speak English, so messages can be asserted while French is the default."""

import pytest


@pytest.fixture
def api_as(api_as):
    def _client(community, role):
        client = api_as(community, role)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _client
