"""The default taxonomy a new community starts with: French work and asset categories.

Editable afterwards like any category (the community's administration). Service times are
typical minutes on site, used by routing as each stop's duration.
"""

from typing import Any

from django.db import transaction

from accounts.models import Community
from geo.models import AssetCategory, AssetKind
from interventions.models import Category

# (code, name, service minutes, is_tag): work and report categories.
DEFAULT_WORK_CATEGORIES = (
    ("tag", "Tags / graffitis", 30, True),
    ("affichage-sauvage", "Affichage sauvage", 20, False),
    ("depot-sauvage", "Dépôt sauvage", 45, False),
    ("mobilier-degrade", "Mobilier urbain dégradé", 40, False),
    ("espaces-verts", "Espaces verts", 60, False),
    ("proprete", "Propreté", 20, False),
)
# (code, name, kind): asset registry categories.
DEFAULT_ASSET_CATEGORIES = (
    ("banc", "Banc", AssetKind.FURNITURE),
    ("corbeille", "Corbeille", AssetKind.FURNITURE),
    ("eclairage", "Éclairage", AssetKind.FURNITURE),
    ("mobilier-urbain", "Mobilier urbain", AssetKind.FURNITURE),
    ("mur-facade", "Mur / façade", AssetKind.SURFACE),
    ("espace-vert", "Espace vert", AssetKind.GREEN),
    ("arbre", "Arbre", AssetKind.GREEN),
)


@transaction.atomic
def community_default_categories_create(*, community: Community) -> tuple[int, int]:
    """Create the default categories the community lacks (by code); (work, asset) created."""
    have = set(Category.objects.filter(community=community).values_list("code", flat=True))
    work = [
        Category(community=community, code=code, name=name, service_minutes=minutes, is_tag=is_tag)
        for code, name, minutes, is_tag in DEFAULT_WORK_CATEGORIES
        if code not in have
    ]
    Category.objects.bulk_create(work)
    have_assets = set(AssetCategory.objects.filter(community=community).values_list("code", flat=True))
    assets = [
        AssetCategory(community=community, code=code, name=name, kind=kind)
        for code, name, kind in DEFAULT_ASSET_CATEGORIES
        if code not in have_assets
    ]
    AssetCategory.objects.bulk_create(assets)
    return len(work), len(assets)


def on_community_created(
    sender: Any, *, community: Community, default_categories: bool, **kwargs: Any
) -> None:
    """accounts.signals.community_created receiver (connected in InterventionsConfig.ready)."""
    if default_categories:
        community_default_categories_create(community=community)
