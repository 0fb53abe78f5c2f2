"""#18, the elected official: two periods side by side (figures, maps, share link, PDF),
numbers in the reader's language, recurrent sites named by their address."""

import csv
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.gis.geos import LineString

from accounts.models import Role
from tests.dashboards.helpers import make_history
from tests.factories import AddressFactory, StreetSegmentFactory, member

FEBRUARY = {"period": "month", "date_from": "2025-02-01"}
JANUARY = {"period": "month", "date_from": "2025-01-01"}


@pytest.fixture
def history(community):
    return make_history(community)


@pytest.fixture
def viewer(client, community):
    client.force_login(member(community, Role.VIEWER))
    return client


def _cells(page: str, key: str) -> list[str]:
    """The Period A, Period B and Difference cells of a row of the differences table."""
    found = re.search(rf'<tr data-kpi="{key}">(.*?)</tr>', page, re.S)
    assert found, f"no row {key} in the differences table"
    row = found.group(1)
    return [c.strip().replace("\xa0", " ") for c in re.findall(r'<td class="n">([^<]*)</td>', row)]


def test_february_side_by_side_with_january(viewer, community, history):
    """February 2025 (1 removal) against the previous month (4): both periods' figures, the
    difference signed and relative, two maps that share Leaflet and the base map."""
    StreetSegmentFactory(community=community, name="Impasse Zed", geom=LineString((0, 0), (5, 5), srid=2154))
    page = viewer.get("/dashboards/", {**FEBRUARY, "compare": "previous"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Période A : 01/02/2025 au 28/02/2025" in text
    assert "Période B : 01/01/2025 au 31/01/2025" in text
    assert _cells(text, "cleanings") == ["1", "4", "−3 (−75 %)"]
    assert _cells(text, "m2") == ["2 m²", "8 m²", "−6 m² (−75 %)"]
    assert text.count('class="folium-map"') == 2
    assert text.count("vendor/leaflet/leaflet.js") == 1  # loaded once for both maps
    assert text.count("Impasse Zed") == 1  # the base map's streets in the page once, on both maps
    assert ".toGeoJSON()" in text  # … map B draws map A's
    # Period B's heatmap is period B's: its tiles ask for January.
    assert "date_from=2025-01-01" in text and "date_from=2025-02-01" in text
    # The form says what is compared (B's dates filled in) and offers to stop comparing.
    assert 'value="previous" selected' in text and 'name="compare_from" value="2025-01-01"' in text


def test_default_comparison_is_the_same_month_a_year_earlier(viewer, history):
    text = viewer.get("/dashboards/", JANUARY).content.decode()
    link = re.search(r'id="compare-link" href="([^"]+)"', text).group(1).replace("&amp;", "&")
    query = parse_qs(urlparse(link).query)
    assert query["compare"] == ["last_year"] and query["date_from"] == ["2025-01-01"]
    text = viewer.get(link, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Période B : 01/01/2024 au 31/01/2024" in text
    assert _cells(text, "cleanings") == ["4", "0", "+4"]  # nothing a year before: no percentage


def test_other_dates_for_period_b(viewer, history):
    query = {**JANUARY, "compare": "custom", "compare_from": "2025-02-01", "compare_to": "2025-03-31"}
    text = viewer.get("/dashboards/", query, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Période B : 01/02/2025 au 31/03/2025" in text
    assert _cells(text, "cleanings") == ["4", "2", "+2 (+100 %)"]


@pytest.mark.parametrize(
    ("query", "field", "french"),
    [
        ({"compare": "custom"}, "compare_from", "Saisissez les dates de la période B."),
        (
            {"compare": "custom", "compare_from": "2025-02-01", "compare_to": "2025-01-01"},
            "compare_to",
            "La fin de la période B est avant son début.",
        ),
        (
            {"compare": "custom", "compare_from": "2025-02-30", "compare_to": "2025-03-01"},
            "compare_from",
            "« 2025-02-30 » n’est pas une date.",
        ),
        ({"compare": "decade"}, "compare", "Choisissez dans la liste avec quoi comparer."),
    ],
)
def test_a_bad_period_b_is_said_in_french_next_to_its_field(viewer, history, query, field, french):
    response = viewer.get("/dashboards/", {**JANUARY, **query}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    text = response.content.decode()
    error_id = {"compare": "f-compare-error", "compare_from": "f-compare-from-error"}.get(
        field, "f-compare-to-error"
    )
    error = re.search(rf'<p class="field-error" role="alert" id="{error_id}">([^<]*)</p>', text)
    assert error and error.group(1) == french
    # The field points at its error; period A is still shown.
    assert re.search(rf'aria-invalid="true"[^>]*|aria-describedby="{error_id}', text)
    assert 'data-kpi="cleanings"' in text and 'id="compare"' not in text


def test_the_share_link_carries_both_periods(client, community, history):
    admin = member(community, Role.ADMIN)
    client.force_login(admin)
    screen = client.get("/dashboards/", {**FEBRUARY, "compare": "previous"}).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', screen))
    assert hidden["compare"] == "previous" and hidden["date_from"] == "2025-02-01"
    page = client.post("/dashboards/share/", hidden).content.decode()
    url = (
        re.search(r'id="share-url" type="text" readonly value="([^"]+)"', page).group(1).replace("&amp;", "&")
    )
    assert "compare=previous" in url and "date_from=2025-02-01" in url
    client.logout()
    public = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert _cells(public, "cleanings") == ["1", "4", "−3 (−75 %)"]
    # The public report (and its PDF) shows the same two periods.
    report = re.search(r'data-export="report" href="([^"]+)"', public).group(1).replace("&amp;", "&")
    assert "compare=previous" in report
    assert (
        _cells(client.get(report, HTTP_ACCEPT_LANGUAGE="fr").content.decode(), "cleanings")[2] == "−3 (−75 %)"
    )
    forged = client.get(url.replace("compare=previous", "compare=decade"), HTTP_ACCEPT_LANGUAGE="fr")
    assert forged.status_code == 400


def test_the_pdf_report_has_both_periods(viewer, history):
    from pypdf import PdfReader

    response = viewer.get(
        "/dashboards/report/", {**FEBRUARY, "compare": "previous", "format": "pdf"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).replace(
        "\xa0", " "
    )
    assert "comparée à la période du 01/01/2025 au 31/01/2025" in text
    assert "Période A 01/02/2025 – 28/02/2025 Période B 01/01/2025 – 31/01/2025 Écart (A − B)" in text
    assert "Tags effacés 1 4 −3 (−75 %)" in text


def test_decimals_in_the_readers_language(viewer, history):
    """The median re-tag delay of January is 20 days: "20,0 j" in French, "20.0 d" in English."""
    french = viewer.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    value = re.search(r'data-kpi="retag">.*?<p class="kpi-value">([^<]+)</p>', french, re.S).group(1)
    assert value == "20,0 j"
    assert not re.search(r"\d\.\d (j|h)\b", french)
    english = viewer.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    value = re.search(r'data-kpi="retag">.*?<p class="kpi-value">([^<]+)</p>', english, re.S).group(1)
    assert value == "20.0 d"


def test_recurrent_sites_are_named_by_their_address(viewer, community, history):
    from geo.services.addresses import addresses_backfill

    StreetSegmentFactory(community=community, name="Rue des Arènes")  # along site A (0–100 m east)
    site = history["a"]
    AddressFactory(community=community, number=14, street="Rue des Arènes", geom=site.geom.point_on_surface)
    addresses_backfill(community=community)
    text = viewer.get("/dashboards/", JANUARY, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    row = re.search(rf'<tr data-site="{site.pk}"><th scope="row">([^<]+)</th>', text).group(1)
    assert row == "14 Rue des Arènes (mur)"
    # B, 100 m east at the street's end, has no address within 30 m: "près du 14 …".
    row_b = re.search(rf'<tr data-site="{history["b"].pk}"><th scope="row">([^<]+)</th>', text).group(1)
    assert row_b == "près du 14 Rue des Arènes (mur)"
    sites = viewer.get("/dashboards/export/sites.csv", JANUARY).content.decode()
    rows = list(csv.DictReader(io.StringIO(sites)))
    assert rows[0]["address"] == "14 Rue des Arènes" and rows[0]["street"] == "Rue des Arènes"


def test_side_by_side_in_english(viewer, history):
    text = viewer.get(
        "/dashboards/", {**FEBRUARY, "compare": "previous"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Two periods side by side" in text and "Difference (A − B)" in text
    assert _cells(text, "cleanings") == ["1", "4", "−3 (−75 %)"]
