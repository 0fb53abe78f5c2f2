"""When PostgreSQL is unreachable, clients are told to retry (503), not that Ronde has a bug."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path

from config import urls as root_urls


def _database_down(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def _bug(request):
    raise ZeroDivisionError


urlpatterns = [
    path("api/v1/down/", _database_down),
    path("agent/down/", _database_down),
    path("api/v1/bug/", _bug),
]
handler500 = root_urls.handler500


@pytest.fixture
def client_raising(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_api_answers_503_with_retry_after_when_the_database_is_down(client_raising):
    response = client_raising.get("/api/v1/down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert "retry" in response.json()["detail"]


def test_pages_answer_a_503_page_when_the_database_is_down(client_raising):
    response = client_raising.get("/agent/down/")
    assert response.status_code == 503
    assert "indisponible" in response.content.decode()


def test_a_real_bug_stays_a_500(client_raising):
    response = client_raising.get("/api/v1/bug/")
    assert response.status_code == 500
    assert "Retry-After" not in response
