"""A file's own category values: one error listing them, --create-categories, --category-map.

Grand Poitiers' facilities (`Sous_thème`: gare, parc…) printed 649 lines "unknown category";
a new community's administrator had no way to create the categories from the command line.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from geo.models import Asset, AssetCategory
from interventions.models import Category, Report
from interventions.services.taxonomy import community_default_categories_create
from tests.geo.geodata_files import FAR, feature, point, write_geojson

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilities(tmp_path, community):
    community_default_categories_create(community=community)  # banc, corbeille, arbre…
    values = ["Gare"] * 3 + ["Parc urbain"] * 2 + ["banc"] * 4 + ["Corbeille"]
    features = [feature(point(10 * i, 0), nom=f"Site {i}", Sous_thème=v) for i, v in enumerate(values)]
    return write_geojson(tmp_path / "equipements.geojson", features)


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_geodata", *args, stdout=out)
    return out.getvalue()


def test_unknown_values_are_one_error_with_their_counts(facilities, community):
    out = StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command(
            "import_geodata", str(facilities), "--community", community.slug, "--into", "assets",
            "--map", "category=Sous_thème", stdout=out,
        )  # fmt: skip
    text = out.getvalue()
    assert text.count("[error]") == 1
    assert "'Gare' (3)" in text and "'Parc urbain' (2)" in text
    assert "banc" not in text.split("[error]")[1]  # matched by code, case ignored
    assert "--create-categories" in text and "--category-map" in text
    assert not Asset.objects.exists()


def test_create_categories_makes_one_per_unknown_value(facilities, community):
    before = AssetCategory.objects.filter(community=community).count()
    out = run(str(facilities), "--community", community.slug, "--into", "assets", "--map", "category=Sous_thème",
              "--create-categories")  # fmt: skip
    assert "created 2 categories: gare (Gare), parc-urbain (Parc urbain)" in out
    assert AssetCategory.objects.filter(community=community).count() == before + 2
    gare = AssetCategory.objects.get(community=community, code="gare")
    assert gare.name == "Gare" and Asset.objects.filter(category=gare).count() == 3
    assert Asset.objects.filter(category__code="banc").count() == 4
    assert Asset.objects.filter(category__code="corbeille").count() == 1  # by name
    # Again: the values now match the categories created the first time.
    out = run(str(facilities), "--community", community.slug, "--into", "assets", "--map", "category=Sous_thème",
              "--create-categories")  # fmt: skip
    assert "categories:" not in out


def test_category_map_file_maps_values_to_existing_codes(facilities, community, tmp_path):
    mapping = tmp_path / "categories.csv"
    mapping.write_text("valeur;code\nGare;mobilier-urbain\nparc urbain;espace-vert\n", encoding="utf-8")
    run(str(facilities), "--community", community.slug, "--into", "assets", "--map", "category=Sous_thème",
        "--category-map", str(mapping))  # fmt: skip
    assert Asset.objects.filter(category__code="mobilier-urbain").count() == 3
    assert Asset.objects.filter(category__code="espace-vert").count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes("Gare;inconnu\n".encode("latin-1"))
    with pytest.raises(CommandError):
        run(str(facilities), "--community", community.slug, "--into", "assets", "--map", "category=Sous_thème",
            "--category-map", str(bad))  # fmt: skip


def test_a_failed_import_creates_no_category(tmp_path, community):
    features = [feature(point(0, 0), categorie="Nouvelle", priorite="1"),
                feature(point(10, 0), categorie="Autre", priorite="9")]  # fmt: skip
    path = write_geojson(tmp_path / "signalements.geojson", features)
    with pytest.raises(CommandError, match="nothing was written"):
        run(str(path), "--community", community.slug, "--into", "reports", "--map", "category=categorie",
            "--create-categories")  # fmt: skip
    assert not Category.objects.filter(community=community).exists()
    assert not Report.objects.exists()


def test_dry_run_says_what_it_would_create_and_writes_nothing(tmp_path, community):
    features = [feature(point(0, 0), categorie="Nouvelle"), feature(point(*FAR), categorie="Nouvelle")]
    path = write_geojson(tmp_path / "signalements.geojson", features)
    out = run(str(path), "--community", community.slug, "--into", "reports", "--map", "category=categorie",
              "--create-categories", "--dry-run")  # fmt: skip
    assert "would create 1 categories: nouvelle (Nouvelle)" in out
    assert not Category.objects.filter(community=community).exists()


def test_an_inactive_category_takes_no_imported_feature(facilities, community):
    """'banc' names a deactivated category: one clear error, no 'banc-2' created beside it."""
    AssetCategory.objects.filter(community=community, code="banc").update(active=False)
    out = StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command(
            "import_geodata", str(facilities), "--community", community.slug, "--into", "assets",
            "--map", "category=Sous_thème", "--create-categories", stdout=out,
        )  # fmt: skip
    assert "name inactive categories: 'banc' → banc" in out.getvalue()
    assert not AssetCategory.objects.filter(code__startswith="banc-").exists()
    assert not Asset.objects.exists()
    # Nor when it is the one category given for every feature.
    with pytest.raises(CommandError, match="unknown category 'banc'"):
        run(str(facilities), "--community", community.slug, "--into", "assets", "--category", "banc")
