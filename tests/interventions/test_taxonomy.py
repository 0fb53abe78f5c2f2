"""A new community starts with the editable French default taxonomy (or none, if asked)."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Community
from accounts.services import bbox_polygon, community_create
from geo.models import AssetCategory
from interventions.models import Category
from interventions.services.taxonomy import (
    DEFAULT_ASSET_CATEGORIES,
    DEFAULT_WORK_CATEGORIES,
    community_default_categories_create,
)

pytestmark = pytest.mark.django_db
BBOX = ["--bbox", "0.28,46.54,0.40,46.62"]


def test_create_community_starts_with_the_french_defaults():
    call_command("create_community", "poitiers", "--name", "Poitiers", *BBOX, stdout=StringIO())
    community = Community.objects.get(slug="poitiers")
    work = {c.name: c for c in Category.objects.filter(community=community)}
    for name in ("Tags / graffitis", "Affichage sauvage", "Dépôt sauvage", "Mobilier urbain dégradé",
                 "Espaces verts", "Propreté"):  # fmt: skip
        assert name in work and work[name].service_minutes > 0
    assert work["Tags / graffitis"].is_tag and not work["Dépôt sauvage"].is_tag
    assets = set(AssetCategory.objects.filter(community=community).values_list("name", flat=True))
    assert {
        "Banc",
        "Corbeille",
        "Éclairage",
        "Mobilier urbain",
        "Mur / façade",
        "Espace vert",
        "Arbre",
    } <= assets
    # Editable: they are ordinary rows of the community.
    Category.objects.filter(community=community, code="proprete").update(name="Nettoiement")
    assert Category.objects.get(community=community, code="proprete").name == "Nettoiement"


def test_no_default_categories_starts_empty():
    out = StringIO()
    call_command("create_community", "vide", "--name", "Vide", *BBOX, "--no-default-categories", stdout=out)
    community = Community.objects.get(slug="vide")
    assert not Category.objects.filter(community=community).exists()
    assert not AssetCategory.objects.filter(community=community).exists()
    assert "no category" in out.getvalue()


def test_the_service_fills_what_is_missing_and_every_creation_path_uses_it():
    community = community_create(
        slug="svc", name="Svc", territory=bbox_polygon(minlon=0.28, minlat=46.54, maxlon=0.4, maxlat=46.62)
    )
    assert Category.objects.filter(community=community).count() == len(DEFAULT_WORK_CATEGORIES)
    assert AssetCategory.objects.filter(community=community).count() == len(DEFAULT_ASSET_CATEGORIES)
    Category.objects.filter(community=community, code="tag").delete()
    assert community_default_categories_create(community=community) == (1, 0)  # re-runnable
    assert community_default_categories_create(community=community) == (0, 0)
