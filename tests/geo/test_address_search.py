"""The search box's endpoint on the real BAN extract: typos, accents, numbers, tenancy."""

import pytest
from django.core.management import call_command

from geo.selectors_addresses import address_search
from geo.services.addresses import address_import
from tests.factories import CommunityFactory
from tests.geo.test_import_addresses import BAN_54, lonlat_box
from tests.real_data import real_file

pytestmark = pytest.mark.django_db
URL = "/api/v1/addresses/search/"


@pytest.fixture
def landres(db):
    community = CommunityFactory(
        slug="landres", name="Landres", territory=lonlat_box(5.77, 49.30, 5.86, 49.34)
    )
    address_import(community=community, path=real_file(BAN_54))
    return community


@pytest.mark.parametrize(
    "q",
    [
        "2 bis rue baron d'huart",
        "2bis rue baron dhuart",  # no space, no apostrophe
        "2 bis RUE BARON D HUART",
        "2 bis rue baron d'huard",  # a typo
    ],
)
def test_a_numbered_address_is_found_first_despite_typos(landres, q):
    hits = address_search(community=landres, q=q)
    assert hits[0].kind == "address" and hits[0].label == "2 bis rue baron d'huart"
    assert hits[0].commune == "Mont-Bonvillers" and hits[0].postcode == "54111"
    # Lambert-93 905872, 6918044.5 in WGS84 (the file's own lon/lat).
    assert abs(hits[0].lon - 5.83207) < 1e-4 and abs(hits[0].lat - 49.32874) < 1e-4


def test_a_street_is_found_without_accents_and_with_a_typo(landres):
    hits = address_search(community=landres, q="allee des acacais")
    assert hits[0].kind == "street" and hits[0].label == "allée des acacias"


def test_nonsense_finds_nothing_and_short_queries_are_not_searched(landres):
    assert address_search(community=landres, q="zzqxw kkvv") == []
    assert address_search(community=landres, q="a") == []


def test_api_is_scoped_to_the_callers_community(landres, other_community, api_as):
    response = api_as(landres).get(URL, {"q": "rue baron d huart"})
    assert response.status_code == 200
    assert response.json()["results"][0]["label"] == "rue baron d'huart"
    assert api_as(other_community).get(URL, {"q": "rue baron d huart"}).json()["results"] == []


def test_api_names_the_bad_parameter(landres, api_as):
    response = api_as(landres).get(URL)
    assert response.status_code == 400 and '"q"' in response.content.decode()
    assert api_as(landres).get(URL, {"q": "x" * 500}).status_code == 400


def test_streets_of_an_imported_network_are_searchable_without_addresses(community, tmp_path):
    from tests.geo.test_import_streets import node, way, write_osm

    path = write_osm(
        tmp_path / "rues.osm",
        [node(1, 0, 0), node(2, 150, 0)],
        [way(10, [1, 2], highway="residential", name="Rue de la Tranchée")],
    )
    call_command("import_streets", str(path), community=community.slug, verbosity=0)
    [hit] = address_search(community=community, q="rue de la tranche")
    assert (hit.kind, hit.label) == ("street", "Rue de la Tranchée")
