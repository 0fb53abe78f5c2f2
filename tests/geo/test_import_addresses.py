"""Addresses: the real BAN extract (old "Adresses ODbL" layout, gzip) and a BAL 1.3 file
written here as the specification shows it (CRLF, BOM, x;y and long;lat, suffixes, a
toponym without number)."""

import gzip
import io
import shutil

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.management import call_command
from django.core.management.base import CommandError

from geo.io.errors import ImportFileError
from geo.models import Address, StreetName
from geo.services.addresses import address_import
from tests.factories import CommunityFactory, StreetSegmentFactory
from tests.real_data import real_file

pytestmark = pytest.mark.django_db

BAN_54 = "addresses/ban-54-extract.csv.gz"


def lonlat_box(w, s, e, n):
    poly = Polygon.from_bbox((w, s, e, n))
    poly.srid = 4326
    poly.transform(2154)
    return MultiPolygon(poly, srid=2154)


@pytest.fixture
def landres(db):
    # Mont-Bonvillers and Landres (Meurthe-et-Moselle), WGS84 bbox of the extract + ~1 km.
    return CommunityFactory(slug="landres", name="Landres", territory=lonlat_box(5.77, 49.30, 5.86, 49.34))


BAL_HEADER = (
    "uid_adresse;cle_interop;commune_insee;commune_nom;commune_deleguee_insee;commune_deleguee_nom;"
    "voie_nom;lieudit_complement_nom;numero;suffixe;position;x;y;long;lat;cad_parcelles;source;"
    "date_der_maj;certification_commune"
)


def bal_line(cle, numero, suffixe, voie, x="", y="", lon="", lat=""):
    return (
        f";{cle};54295;Landres;;;{voie};;{numero};{suffixe};entrée;{x};{y};{lon};{lat};;"
        f"Commune de Landres;2024-03-01;1"
    )


def write_bal(path, lines):
    # BAL 1.3 files are UTF-8 with CRLF line ends; some tools add a BOM.
    path.write_bytes(("\ufeff" + "\r\n".join([BAL_HEADER, *lines]) + "\r\n").encode("utf-8"))
    return path


def test_real_ban_extract_imports_with_its_placeholders_skipped(landres):
    report = address_import(community=landres, path=real_file(BAN_54))
    # 712 lines of which 92 are BAN placeholder numbers (>= 5000), all inside the territory.
    assert (report.layout, report.rows, report.placeholders) == ("ban", 620, 92)
    assert (report.kept, report.outside) == (620, 0)
    assert Address.objects.filter(community=landres).count() == 620
    a = Address.objects.get(community=landres, ban_id="ADRNIVX_0000000265766492")
    assert (a.label, a.postcode, a.insee, a.commune) == (
        "2 bis rue baron d'huart",
        "54111",
        "54084",
        "Mont-Bonvillers",
    )
    # lon/lat placed through EPSG:4326 lands on the file's own Lambert-93 x;y (905872, 6918044.5).
    assert a.geom.distance(Point(905872, 6918044.5, srid=2154)) < 1.0
    assert StreetName.objects.filter(community=landres, name="rue baron d'huart").exists()


def test_reimporting_the_same_file_replaces_instead_of_duplicating(landres, tmp_path):
    address_import(community=landres, path=real_file(BAN_54))
    plain = tmp_path / "ban-54.csv"  # the same file uncompressed
    with gzip.open(real_file(BAN_54), "rb") as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    report = address_import(community=landres, path=plain)
    assert (report.kept, report.replaced) == (620, 620)
    assert Address.objects.filter(community=landres).count() == 620


def test_bal_1_3_file_with_crlf_bom_and_xy_only_rows(landres, tmp_path):
    path = write_bal(
        tmp_path / "bal.csv",
        [
            bal_line("54295_0010_00001", 1, "", "Rue de la Gare", lon="5.8105", lat="49.3190"),
            bal_line("54295_0010_00001_bis", 1, "bis", "Rue de la Gare", lon="5.8106", lat="49.3191"),
            # Only x;y (Lambert-93), as some BAL editors export.
            bal_line("54295_0020_00007", 7, "", "Place de l'Église", x="904300.5", y="6917300.2"),
            # A toponym without number (99999) is not an address.
            bal_line("54295_0030_99999", 99999, "", "Le Haut des Vignes", lon="5.812", lat="49.320"),
        ],
    )
    report = address_import(community=landres, path=path)
    assert (report.layout, report.kept, report.placeholders) == ("bal", 3, 1)
    church = Address.objects.get(community=landres, ban_id="54295_0020_00007")
    assert church.label == "7 Place de l'Église" and church.insee == "54295" and church.commune == "Landres"
    assert church.geom.distance(Point(904300.5, 6917300.2, srid=2154)) < 0.01
    assert Address.objects.get(ban_id="54295_0010_00001_bis").label == "1 bis Rue de la Gare"


def test_bal_with_several_positions_per_address_keeps_one(landres, tmp_path):
    # mes-adresses, which most communes use, writes one line per position of an address
    # (entrance, postal delivery…), each with the address's cle_interop.
    path = write_bal(
        tmp_path / "bal-positions.csv",
        [
            bal_line("54295_0010_00001", 1, "", "Rue de la Gare", lon="5.8105", lat="49.3190"),
            bal_line("54295_0010_00001", 1, "", "Rue de la Gare", lon="5.8107", lat="49.3192"),
            bal_line("54295_0010_00002", 2, "", "Rue de la Gare", lon="5.8109", lat="49.3190"),
        ],
    )
    report = address_import(community=landres, path=path)
    assert (report.rows, report.kept, report.extra_positions) == (2, 2, 1)
    assert "1 further positions of the same addresses skipped" in report.summary()
    first = Address.objects.get(community=landres, ban_id="54295_0010_00001")
    assert first.geom.distance(Point(5.8105, 49.3190, srid=4326).transform(2154, clone=True)) < 0.01


def test_a_line_without_a_position_is_skipped_and_named_not_the_whole_file(landres, tmp_path):
    # A BAL being completed in mes-adresses has numbers not yet placed: the others are the
    # commune's addresses all the same.
    path = write_bal(
        tmp_path / "bal-unplaced.csv",
        [
            bal_line("54295_0010_00001", 1, "", "Rue de la Gare", lon="5.8105", lat="49.3190"),
            bal_line("54295_0010_00003", 3, "", "Rue de la Gare"),
            bal_line("54295_0020_00007", 7, "", "Place de l'Église", x="904300.5", y="6917300.2"),
        ],
    )
    out = io.StringIO()
    call_command("import_addresses", str(path), community="landres", stdout=out)
    assert "2 kept" in out.getvalue() and "1 without a position skipped (line 3)" in out.getvalue()
    assert set(Address.objects.filter(community=landres).values_list("number", flat=True)) == {1, 7}
    # A file of unplaced lines only is refused, saying why.
    only = write_bal(tmp_path / "bal-none.csv", [bal_line("54295_0010_00003", 3, "", "Rue de la Gare")])
    with pytest.raises(
        ImportFileError, match=r"no address in the file \(1 without a position\), nothing written"
    ):
        address_import(community=landres, path=only)


def test_a_bad_line_names_file_and_line_and_writes_nothing(landres, tmp_path):
    address_import(community=landres, path=real_file(BAN_54))
    path = write_bal(
        tmp_path / "broken.csv",
        [
            bal_line("54295_0010_00001", 1, "", "Rue de la Gare", lon="5.8105", lat="49.3190"),
            bal_line("54295_0010_00002", "deux", "", "Rue de la Gare", lon="5.8105", lat="49.3190"),
            bal_line("54295_0010_00003", 3, "", "Rue de la Gare", lon="5.81x", lat="49.3190"),
            bal_line("54295_0010_00001", 5, "", "Rue de la Gare", lon="5.8105", lat="49.3190"),
        ],
    )
    with pytest.raises(CommandError) as exc:
        call_command("import_addresses", str(path), community="landres", verbosity=0)
    message = str(exc.value)
    assert "broken.csv" in message and "nothing written" in message
    assert "line 3: numero 'deux' is not a number" in message
    assert "line 4: a coordinate is not a number" in message
    assert "line 5: id 54295_0010_00001 already on line 2" in message
    # Landres' addresses from the BAN are still there.
    assert Address.objects.filter(community=landres, insee="54295").count() > 100


def test_a_file_that_is_not_an_address_file_is_refused(landres, tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text("id;description;lon;lat\n1;tag;5.81;49.31\n")
    with pytest.raises(ImportFileError, match=r"reports.csv: not a Base Adresse.*missing column\(s\) numero"):
        address_import(community=landres, path=path)


def test_addresses_outside_the_territory_are_counted_and_all_outside_is_refused(tmp_path):
    elsewhere = CommunityFactory(slug="poitiers-addr")  # around Poitiers, far from Landres
    with pytest.raises(ImportFileError, match="none of its 620 addresses is inside the territory"):
        address_import(community=elsewhere, path=real_file(BAN_54))
    assert not Address.objects.filter(community=elsewhere).exists()
    half = CommunityFactory(slug="landres-west", territory=lonlat_box(5.77, 49.30, 5.825, 49.34))
    report = address_import(community=half, path=real_file(BAN_54))
    assert report.kept > 0 and report.outside > 0 and report.kept + report.outside == 620


def test_command_prints_one_summary(landres, capsys):
    call_command("import_addresses", str(real_file(BAN_54)), community="landres")
    out = capsys.readouterr().out
    assert "620 kept" in out and "92 placeholder numbers" in out


def test_network_streets_without_addresses_are_searchable_names(landres):
    from django.contrib.gis.geos import LineString

    line = LineString((904000, 6917000), (904100, 6917000), srid=2154)
    StreetSegmentFactory(community=landres, name="Chemin des Écoliers", geom=line)
    report = address_import(community=landres, path=real_file(BAN_54))
    assert report.network_streets == 1
    name = StreetName.objects.get(community=landres, source="network")
    assert (name.search, name.core) == ("chemin des ecoliers", "ecoliers")


def test_current_ban_layout_adresses_dep_csv(landres, tmp_path):
    # The BAN's adresses-<dep>.csv since 2020 (adresse.data.gouv.fr), header as published.
    header = (
        "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
        "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
        "source_position;source_nom_voie;certification_commune;cad_parcelles"
    )
    row = (
        "54295_0010_00004_b;54295_0010;4;b;Rue de la Gare;54990;54295;Landres;;;904500.1;6917400.2;"
        "5.8102;49.3191;entrée;;;LANDRES;RUE DE LA GARE;commune;commune;1;"
    )
    path = tmp_path / "adresses-54.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(f"{header}\n{row}\n")
    report = address_import(community=landres, path=path)
    assert (report.layout, report.kept) == ("ban", 1)
    a = Address.objects.get(community=landres, ban_id="54295_0010_00004_b")
    assert (a.label, a.postcode, a.commune, a.insee) == ("4 b Rue de la Gare", "54990", "Landres", "54295")
