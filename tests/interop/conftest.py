"""Fixtures for the interoperability tests: a partner key and Open311 services."""

import pytest
from django.contrib.gis.geos import Point

from interventions.open311.services import partner_key_ensure
from tests.factories import (
    POITIERS,
    AssetCategoryFactory,
    AssetFactory,
    CategoryFactory,
    InterventionFactory,
    ReportFactory,
    ZoneFactory,
)

PARTNER_KEY = "partner-key-for-tests-0123456789"


@pytest.fixture
def partner(community):
    return partner_key_ensure(community=community, name="Citizen app", key=PARTNER_KEY)


@pytest.fixture
def tag_service(community):
    return CategoryFactory(community=community, code="tag", name="Tag", is_tag=True, description="Graffiti")


@pytest.fixture
def bench_service(community):
    return CategoryFactory(community=community, code="bench", name="Damaged bench", is_tag=False)


def grid(n: int, step: float = 100.0) -> list[Point]:
    """n points on a 5-wide grid going north-east from Poitiers centre, `step` metres apart."""
    return [Point(POITIERS[0] + (i % 5) * step, POITIERS[1] + (i // 5) * step, srid=2154) for i in range(n)]


@pytest.fixture
def data(community, other_community):
    """Poitiers: 12 assets (4 walls, 8 benches), 7 reports, 1 intervention, 1 zone; 3 assets elsewhere."""
    benches = AssetCategoryFactory(community=community, code="bench", name="Bancs")
    walls = AssetCategoryFactory(community=community, code="wall", name="Murs", kind="surface")
    for i, point in enumerate(grid(12)):
        AssetFactory(community=community, category=benches if i % 3 else walls, geom=point)
    for point in grid(7):
        ReportFactory(community=community, geom=point)
    InterventionFactory(community=community, geom=Point(*POITIERS, srid=2154), status="done")
    ZoneFactory(community=community, name="Centre")
    AssetFactory.create_batch(3, community=other_community)
    return {"benches": benches, "walls": walls}
