"""The dashboard pages, exports and the public share link."""

import csv
import io
import re

import pytest

from accounts.models import Role
from tests.dashboards.helpers import make_history
from tests.factories import PASSWORD, ZoneFactory, member


@pytest.fixture
def history(community):
    return make_history(community)


JANUARY = {"period": "month", "date_from": "2025-01-01"}


@pytest.fixture
def as_role(client, community):
    def login(role):
        user = member(community, role, first_name="Jeanne", last_name="Agentname")
        client.force_login(user)
        return client

    return login


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DISPATCHER, Role.ADMIN])
def test_viewer_and_up_see_the_dashboard(as_role, role, history):
    response = as_role(role).get("/dashboards/", JANUARY)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-kpi="cleanings"' in page and ">4<" in page
    assert "/static/vendor/leaflet/leaflet.js" in page


def test_agents_and_strangers_do_not(client, as_role, history):
    assert client.get("/dashboards/").status_code == 302  # to the log-in page
    assert as_role(Role.AGENT).get("/dashboards/").status_code == 403


def test_page_loads_nothing_from_other_origins(as_role, history):
    page = as_role(Role.VIEWER).get("/dashboards/", JANUARY).content.decode()
    external = re.findall(r"""(?:src|href)=["'](https?:)?//[^"']+""", page)
    assert external == []
    assert "cdn" not in page.lower() and "jquery" not in page.lower()


def test_bad_filter_is_a_400_naming_it(as_role):
    response = as_role(Role.VIEWER).get("/dashboards/", {"period": "decade"})
    assert response.status_code == 400 and b'data-field="period"' in response.content


def test_district_filter_of_another_community_is_refused(as_role, other_community):
    zone = ZoneFactory(community=other_community)
    response = as_role(Role.VIEWER).get("/dashboards/", {"zone": zone.pk})
    assert response.status_code == 400


def test_csv_exports(as_role, history):
    client = as_role(Role.VIEWER)
    for table in ("districts", "sites", "streets", "months"):
        response = client.get(f"/dashboards/export/{table}.csv", JANUARY)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows[0]) >= 4
    sites = list(
        csv.DictReader(io.StringIO(client.get("/dashboards/export/sites.csv", JANUARY).content.decode()))
    )
    assert [int(r["removals"]) for r in sites] == [2, 1, 1]


def test_hotspots_geopackage_is_readable(as_role, history, tmp_path):
    import geopandas as gpd

    response = as_role(Role.VIEWER).get("/dashboards/export/hotspots.gpkg", JANUARY)
    assert response.status_code == 200
    path = tmp_path / "hotspots.gpkg"
    path.write_bytes(response.content)
    frame = gpd.read_file(path, layer="hotspots")
    assert frame.crs.to_epsg() == 4326 and len(frame) == 3
    assert frame.iloc[0]["returns"] == 1 and frame.iloc[0]["site_id"] == history["a"].pk


def test_printable_report(as_role, history):
    response = as_role(Role.VIEWER).get("/dashboards/report/", JANUARY)
    assert response.status_code == 200 and b"data-print" in response.content


def test_public_link_has_no_personal_data(client, community, as_role, history):
    admin = as_role(Role.ADMIN)
    assert as_role(Role.VIEWER).post("/dashboards/share/").status_code == 403
    admin = member(community, Role.ADMIN)
    client.force_login(admin)
    page = client.post("/dashboards/share/").content.decode()
    url = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', page).group(1)
    client.logout()
    public = client.get(url, JANUARY)
    assert public.status_code == 200
    body = public.content.decode()
    assert 'data-kpi="cleanings"' in body
    for personal in ("Agentname", "Jeanne", history["team"].name, "photo", PASSWORD):
        assert personal not in body
    assert 'name="team"' not in body
    assert client.get(url, {**JANUARY, "team": history["team"].pk}).status_code == 400
    token = url.rstrip("/").rsplit("/", 1)[1]
    exported = client.get(f"/dashboards/public/{token}/export/sites.csv", JANUARY).content.decode()
    assert "Agentname" not in exported and history["team"].name not in exported
    tile = client.get("/tiles/heatmap/14/8207/5863.png", {"share": token})
    assert tile.status_code == 200 and tile["Cache-Control"].startswith("public")
    # Revoking kills the link.
    client.force_login(admin)
    client.post("/dashboards/share/", {"revoke": "1"})
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get("/tiles/heatmap/14/8207/5863.png", {"share": token}).status_code == 403
    assert client.get("/dashboards/public/forged-token/").status_code == 404
