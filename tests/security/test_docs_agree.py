"""Code, docs and the permission matrix say the same: full exports are for the office
(admins, dispatchers, viewers), not agents; docs/permissions.md is the table of accounts/access.py."""

from pathlib import Path

import pytest
from django.test import Client

from accounts.access import matrix_markdown, rule_for
from accounts.models import Role
from tests.factories import AssetFactory, member

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_agents_cannot_download_full_exports(community, api_as):
    AssetFactory(community=community, name="Banc du marché")
    agent = api_as(community, Role.AGENT)
    response = agent.get("/geo/exports/download/", {"what": "assets", "format": "geojson"})
    assert response.status_code == 403
    page = Client()
    page.force_login(member(community, Role.AGENT))
    assert page.get("/geo/exports/").status_code == 403
    viewer = api_as(community, Role.VIEWER)
    assert viewer.get("/geo/exports/download/", {"what": "assets", "format": "geojson"}).status_code == 200


def test_readme_and_matrix_agree_on_exports():
    readme = (ROOT / "README.md").read_text()
    assert "`/geo/imports/`, `/geo/exports/` | admins (exports: dispatchers, viewers)" in readme
    rule = rule_for("geodata:export-download")
    assert rule is not None
    assert set(rule.read) == {Role.ADMIN, Role.DISPATCHER, Role.VIEWER}


def test_permissions_doc_is_the_table_of_access_py():
    assert matrix_markdown() in (ROOT / "docs" / "permissions.md").read_text()


def test_token_lookup_docs_say_no_key():
    """GeoReport v2 lists GET tokens without api_key; the code answers without one, so the docs
    must not promise a key (tests/interop/test_open311_security.py checks the behaviour)."""
    rule = rule_for("open311:token")
    assert rule is not None and "no api_key" in rule.note
    readme = (ROOT / "interventions" / "open311" / "README.md").read_text()
    token_row = next(line for line in readme.splitlines() if line.startswith("| `GET tokens/"))
    assert "no `api_key`" in token_row
