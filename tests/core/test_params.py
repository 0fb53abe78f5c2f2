"""One parser for ids and dates in query strings (core/params.py), and every edge answers 400.

'²' passes str.isdigit() and then crashes int(); 9999-12-31 has no day after (an inclusive end
becomes the next midnight); year 0000 does not exist. Each was a 500 somewhere.
"""

import datetime as dt
import json

import pytest
from django.utils import translation

from accounts.models import Role
from core.params import MAX_ID, ParamError, is_id, parse_date, parse_date_range, parse_id, parse_ids
from tests.factories import member
from tests.tiles.helpers import at, tile_of, url


def test_ids_are_ascii_digits_within_a_bigint():
    assert parse_ids("category", " 3, 1,3 ,") == (1, 3)
    assert parse_id("team", "7") == 7
    assert parse_id("team", str(MAX_ID)) == MAX_ID
    for raw in ("²", "١٢", "-1", "0", "+5", "1.0", "abc", "", ",", str(MAX_ID + 1), "9" * 40):
        with pytest.raises(ParamError) as caught:
            parse_ids("category", raw)
        assert caught.value.name == caught.value.field == "category"
    with pytest.raises(ParamError, match="takes one id"):
        parse_id("team", "1,2")
    with pytest.raises(ParamError):
        parse_ids("category", str(2**31), high=2**31 - 1)
    assert is_id("12") and not is_id("²") and not is_id("0") and not is_id(str(MAX_ID + 1))


def test_dates_are_iso_days_that_exist():
    assert parse_date("date_from", "2025-02-28") == dt.date(2025, 2, 28)
    for raw in (
        "0000-01-01",
        "2025-02-30",
        "2025-13-01",
        "²025-01-01",
        "20250101",
        "2025-01-01T00:00",
        "hier",
    ):
        with pytest.raises(ParamError) as caught:
            parse_date("date_from", raw)
        assert caught.value.field == "date_from"
    assert parse_date("date_to", "9999-12-31") == dt.date.max
    with pytest.raises(ParamError):
        parse_date("date_to", "9999-12-31", bounded_end=True)
    with pytest.raises(ParamError, match="between"), translation.override("en"):
        parse_date("date_from", "1850-01-01", earliest=dt.date(1900, 1, 1))
    with pytest.raises(ParamError, match="doit être entre 1900-01-01"), translation.override("fr"):
        parse_date("date_from", "1850-01-01", earliest=dt.date(1900, 1, 1))


def test_a_range_names_the_end_before_the_start():
    assert parse_date_range({}) == (None, None)
    assert parse_date_range({"date_from": "2025-01-01", "date_to": "2025-01-01"}) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 1),
    )
    with pytest.raises(ParamError) as caught:
        parse_date_range({"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert caught.value.field == "date_to"
    with pytest.raises(ParamError):
        parse_date_range({"date_to": "9999-12-31"})
    assert parse_date_range({"date_to": "9999-12-31"}, next_day=False) == (None, dt.date.max)


BAD = [
    ("category", "²"),
    ("team", "²"),
    ("date_from", "0000-01-01"),
    ("date_to", "9999-12-31"),
    ("date_from", "²025-01-01"),
]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_vector_tiles_answer_400(api_as, community, name, value):
    response = api_as(community).get(url("interventions", tile_of(at(), 16), f"{name}={value}"))
    assert response.status_code == 400, response.content
    assert response.json()["field"] == name


@pytest.mark.parametrize(("name", "value"), [*BAD, ("zone", "²")])
def test_heatmap_tiles_answer_400(client, community, name, value):
    client.force_login(member(community, Role.VIEWER))
    z, x, y = tile_of(at(), 14)
    response = client.get(f"/tiles/heatmap/{z}/{x}/{y}.png", {name: value})
    assert response.status_code == 400, response.content
    assert name in response.content.decode()


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"category": "²"}, "category"),
        ({"zone": "²"}, "zone"),
        ({"team": "²"}, "team"),
        ({"period": "custom", "date_from": "2025-01-01", "date_to": "9999-12-31"}, "date_to"),
        ({"period": "year", "date_from": "9999-06-01"}, "date_from"),
        ({"period": "month", "date_from": "0001-01-01"}, "date_from"),
        ({"period": "month", "date_from": "0000-01-01"}, "date_from"),
    ],
)
def test_dashboards_answer_400(client, community, query, name):
    client.force_login(member(community, Role.VIEWER))
    response = client.get("/dashboards/", query)
    assert response.status_code == 400
    assert f'data-field="{name}"' in response.content.decode()


@pytest.mark.parametrize(
    ("name", "value"), [("date_from", "0000-01-01"), ("date_from", "²025-01-01"), ("date_to", "2025-02-30")]
)
def test_exports_answer_400(api_as, community, name, value):
    client = api_as(community, Role.VIEWER)
    response = client.get("/geo/exports/download/", {"what": "reports", "format": "csv", name: value})
    assert response.status_code == 400
    assert name in json.dumps(response.json())


def test_exports_refuse_an_unknown_category_such_as_a_superscript(api_as, community):
    # Like the API's category filter: a typo is a 400 naming the field, not an empty file.
    client = api_as(community, Role.VIEWER)
    response = client.get("/geo/exports/download/", {"what": "reports", "format": "csv", "category": "²,tag"})
    assert response.status_code == 400
    assert "category" in response.content.decode()


@pytest.mark.parametrize(("name", "value"), [("zone", "²"), ("date_from", "0000-01-01"), ("date_to", "²")])
def test_the_api_answers_400(api_as, community, name, value):
    response = api_as(community).get("/api/v1/reports/", {name: value})
    assert response.status_code == 400
    assert (
        name in response.json()["fields"]
        if "fields" in response.json()
        else name in json.dumps(response.json())
    )
