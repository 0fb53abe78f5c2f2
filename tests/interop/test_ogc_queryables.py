"""Queryables (OGC API – Features Part 3) per collection, their equality filters on /items,
and the landing page's advice to GIS users on page size."""

import pytest

from tests.interop.test_ogc import token_client

pytestmark = pytest.mark.django_db


def test_queryables_of_each_collection(data, community):
    api = token_client(community)
    for collection in api.get("/ogc/collections").json()["collections"]:
        rels = {link["rel"]: link for link in collection["links"]}
        link = rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"]
        assert link["type"] == "application/schema+json"
        response = api.get(link["href"])
        assert response.status_code == 200, collection["id"]
        assert response["Content-Type"] == "application/schema+json"
        schema = response.json()
        assert schema["type"] == "object" and schema["$id"] == link["href"]
        assert schema["properties"], collection["id"]
    assets = api.get("/ogc/collections/assets-points/queryables").json()["properties"]
    assert assets["geometry"] == {"format": "geometry-point"}
    assert assets["category"]["type"] == "string" and "attributes" not in assets  # JSON: not queryable
    assert assets["updated_at"] == {
        "type": "string",
        "format": "date-time",
        "title": assets["updated_at"]["title"],
    }
    reports = api.get("/ogc/collections/reports/queryables").json()["properties"]
    assert "new" in reports["status"]["enum"] and reports["offensive"]["type"] == "boolean"
    assert reports["priority"]["type"] == "integer"
    conformance = api.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters" in conformance
    assert api.get("/ogc/collections/nothing/queryables").status_code == 404


def test_queryables_filter_the_items(data, community):
    api = token_client(community)
    walls = api.get("/ogc/collections/assets-points/items", {"category": "wall"}).json()
    assert walls["numberMatched"] == 4 and {f["properties"]["category"] for f in walls["features"]} == {
        "wall"
    }
    # Paging links keep the filter.
    page = api.get("/ogc/collections/assets-points/items", {"category": "bench", "limit": 5}).json()
    assert page["numberMatched"] == 8
    next_link = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert "category=bench" in next_link
    assert api.get("/ogc/collections/reports/items", {"offensive": "false"}).json()["numberMatched"] == 7
    bad = api.get("/ogc/collections/reports/items", {"status": "exploded"})
    assert bad.status_code == 400 and bad.json()["description"].startswith("status:")
    assert api.get("/ogc/collections/reports/items", {"priority": "high"}).status_code == 400
    assert api.get("/ogc/collections/reports/items", {"colour": "red"}).status_code == 400  # not a queryable


def test_the_landing_page_tells_gis_users_to_ask_for_1000_a_page(client, data, community):
    api = token_client(community)
    assert "PAGE_SIZE=1000" in api.get("/ogc/", {"f": "json"}).json()["description"]
    page = api.get("/ogc/", {"f": "html"}).content.decode()
    assert 'id="ogc-page-size"' in page and "PAGE_SIZE=1000" in page
