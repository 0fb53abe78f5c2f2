"""Street networks: OSM XML written here, and a line layer in another CRS."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import LineString

from geo.io.errors import ImportFileError
from geo.io.streets import classify
from geo.models import StreetSegment
from geo.services.streets import street_network_import
from tests.factories import StreetSegmentFactory
from tests.geo.geodata_files import lonlat, write_layer

pytestmark = pytest.mark.django_db


def node(node_id, dx, dy):
    lon, lat = lonlat(dx, dy)
    return f'<node id="{node_id}" lat="{lat:.8f}" lon="{lon:.8f}" version="1"/>'


def way(way_id, refs, **tags):
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{way_id}" version="1">{nds}{tag_xml}</way>'


def write_osm(path, nodes, ways):
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="ronde-tests">\n'
        + "\n".join(nodes + ways)
        + "\n</osm>\n"
    )
    return path


@pytest.fixture
def crossroads(tmp_path):
    """A 200 m residential street crossed in its middle by a footway, a one-way street going
    west (oneway=-1), a motorway, and a building (not a street). Metres from Poitiers centre."""
    nodes = [
        node(1, 0, 0), node(2, 100, 0), node(3, 200, 0),
        node(4, 100, 100), node(5, 100, -100),
        node(6, 0, 300), node(7, 100, 300),
        node(8, 0, 500), node(9, 300, 500),
        node(10, 0, 600), node(11, 50, 600),
    ]  # fmt: skip
    ways = [
        way(10, [1, 2, 3], highway="residential", name="Rue de la Cathédrale"),
        way(11, [4, 2, 5], highway="footway"),
        way(12, [6, 7], highway="residential", oneway="-1", name="Rue à contresens"),
        way(13, [8, 9], highway="motorway"),
        way(14, [10, 11], building="yes"),
    ]
    return write_osm(tmp_path / "quartier.osm", nodes, ways)


def test_osm_ways_are_split_at_shared_nodes(community, crossroads):
    report = street_network_import(community=community, path=crossroads)
    assert (report.ways, report.segments, report.kept) == (4, 6, 6)
    rue = StreetSegment.objects.filter(name="Rue de la Cathédrale").order_by("external_id")
    assert [s.external_id for s in rue] == ["osm:way/10:0", "osm:way/10:1"]
    for segment in rue:
        assert abs(segment.length_m - 100) < 0.5  # metres on the ellipsoid
        assert (segment.kind, segment.oneway) == ("both", False)
    footway = StreetSegment.objects.filter(highway="footway")
    assert footway.count() == 2 and {s.kind for s in footway} == {"walk"}
    motorway = StreetSegment.objects.get(highway="motorway")
    assert (motorway.kind, motorway.oneway) == ("drive", True)
    assert abs(motorway.length_m - 300) < 1


def test_oneway_minus_one_is_reversed(community, crossroads):
    street_network_import(community=community, path=crossroads)
    segment = StreetSegment.objects.get(name="Rue à contresens")
    assert segment.oneway
    assert segment.geom.coords[0][0] > segment.geom.coords[-1][0]  # drawn westwards now


def test_reimport_replaces_and_ignores_outside(community, crossroads, tmp_path):
    StreetSegmentFactory(community=community, name="ancienne")
    street_network_import(community=community, path=crossroads)
    assert not StreetSegment.objects.filter(name="ancienne").exists()
    street_network_import(community=community, path=crossroads)
    assert StreetSegment.objects.count() == 6
    far = write_osm(
        tmp_path / "loin.osm", [node(1, 20_000, 0), node(2, 20_100, 0)], [way(1, [1, 2], highway="primary")]
    )
    with pytest.raises(CommandError, match="no street inside the territory"):
        call_command("import_streets", str(far), community="poitiers")
    assert StreetSegment.objects.count() == 6  # the network in place is kept


def test_line_layer_in_web_mercator(community, tmp_path):
    """A GeoJSON-like layer in EPSG:3857 with highway/oneway columns, noded at a shared vertex."""
    from tests.geo.geodata_files import TO_3857, l93

    def merc(dx, dy):
        return TO_3857.transform(*l93(dx, dy))

    lines = [LineString([merc(0, 0), merc(100, 0), merc(200, 0)]), LineString([merc(100, 100), merc(100, 0)])]
    path = write_layer(
        tmp_path / "voies.gpkg",
        [{"highway": "primary", "nom": "Avenue"}, {"highway": "steps", "nom": None}],
        lines,
        3857,
        layer="voies",
    )
    report = street_network_import(community=community, path=path)
    assert (report.segments, report.kept) == (3, 3)
    avenue = StreetSegment.objects.filter(name="Avenue")
    assert avenue.count() == 2
    # 100 m in Lambert-93 are ~100 m on the ground (not the ~146 m Web Mercator units).
    assert all(abs(s.length_m - 100) < 0.5 for s in avenue)
    assert StreetSegment.objects.get(highway="steps").kind == "walk"


def test_classify_tags():
    assert classify({"highway": "pedestrian"}) == ("walk", False, False)
    assert classify({"highway": "residential", "oneway": "yes"}) == ("both", True, False)
    assert classify({"highway": "primary", "junction": "roundabout"}) == ("both", True, False)
    assert classify({"highway": "service", "access": "private"})[0] is None
    assert classify({"highway": "track", "motor_vehicle": "no"})[0] == "walk"
    assert classify({"highway": "trunk", "foot": "yes"})[0] == "both"
    assert classify({"highway": "construction"})[0] is None


def test_unreadable_osm(community, tmp_path):
    path = tmp_path / "bad.osm.pbf"
    path.write_bytes(b"garbage")
    with pytest.raises(ImportFileError, match="bad.osm.pbf"):
        street_network_import(community=community, path=path)


def test_line_layer_features_without_a_usable_geometry_are_skipped_and_counted(community, tmp_path):
    from tests.geo.geodata_files import feature, lonlat, write_geojson

    street = {"type": "LineString", "coordinates": [lonlat(0, 0), lonlat(200, 0)]}
    one_point = {"type": "LineString", "coordinates": [lonlat(50, 50)]}  # shapely refuses it
    path = write_geojson(
        tmp_path / "voies.geojson",
        [
            feature(street, highway="residential", nom="Rue Haute"),
            feature(one_point, highway="residential", nom="Rue Basse"),
            feature(None, highway="residential", nom="Impasse"),
        ],
    )
    report = street_network_import(community=community, path=path)
    assert (report.kept, report.no_geometry) == (1, 2)
    assert "2 features without a usable geometry skipped" in report.summary()


def test_bd_topo_road_sections_keep_their_nature_direction_names_and_access(community, tmp_path):
    """IGN's BD TOPO « troncon_de_route » (GeoPackage columns): a stair is walked only, a
    motorway driven only, a ferry is no street, « sens » and « acces_vehicule_leger » hold."""
    from tests.geo.geodata_files import l93

    rows = [
        ("Route à 1 chaussée", "Rue de la Paix", "Sens inverse", "Libre", (0, 0), (100, 0)),
        ("Escalier", "Escalier du Château", "Sans objet", "Physiquement impossible", (100, 0), (100, 50)),
        ("Type autoroutier", None, "Sens direct", "Libre", (0, 500), (500, 500)),
        ("Bac ou liaison maritime", None, "Double sens", "Libre", (0, 900), (500, 900)),
        ("Chemin", "Chemin des Vignes", "Double sens", "Restreint aux ayants droit", (100, 0), (200, 0)),
    ]
    path = write_layer(
        tmp_path / "BDTOPO.gpkg",
        [
            {
                "nature": n,
                "nom_collaboratif_gauche": nom,
                "sens_de_circulation": sens,
                "acces_vehicule_leger": vl,
            }
            for n, nom, sens, vl, _a, _b in rows
        ],
        [LineString([l93(*a), l93(*b)]) for *_props, a, b in rows],
        2154,
        layer="troncon_de_route",
    )
    report = street_network_import(community=community, path=path)
    assert report.kept == 4  # the ferry is no street
    street = StreetSegment.objects.get(name="Rue de la Paix")
    assert (street.highway, street.kind, street.oneway) == ("road", "both", True)
    assert street.geom.coords[0] == pytest.approx(l93(100, 0), abs=0.01)  # « sens inverse »: reversed
    assert StreetSegment.objects.get(name="Escalier du Château").kind == "walk"
    assert StreetSegment.objects.get(highway="motorway").kind == "drive"
    assert StreetSegment.objects.get(name="Chemin des Vignes").kind == "walk"  # no cars but its own
