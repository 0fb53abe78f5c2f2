"""Small street grids for routing tests, built with StreetSegmentFactory (Lambert-93, metres)."""

from django.contrib.gis.geos import LineString

from accounts.models import Community
from geo.models import StreetKind
from tests.factories import POITIERS, StreetSegmentFactory

X0, Y0 = POITIERS  # south-west corner of every grid: Poitiers centre


def grid(community: Community, *, n: int = 6, step: float = 100.0, kind: str = StreetKind.BOTH) -> None:
    """An n x n block grid: (n+1) east-west and (n+1) north-south streets, `step` m apart."""
    for i in range(n + 1):
        for j in range(n):
            StreetSegmentFactory(
                community=community,
                kind=kind,
                geom=LineString(
                    (X0 + j * step, Y0 + i * step), (X0 + (j + 1) * step, Y0 + i * step), srid=2154
                ),
            )
            StreetSegmentFactory(
                community=community,
                kind=kind,
                geom=LineString(
                    (X0 + i * step, Y0 + j * step), (X0 + i * step, Y0 + (j + 1) * step), srid=2154
                ),
            )


def segment(community: Community, a: tuple[float, float], b: tuple[float, float], **kwargs) -> None:
    """One street from a to b (offsets in metres from the grid corner)."""
    StreetSegmentFactory(
        community=community,
        geom=LineString((X0 + a[0], Y0 + a[1]), (X0 + b[0], Y0 + b[1]), srid=2154),
        **kwargs,
    )


def at(dx: float, dy: float) -> tuple[float, float]:
    """Absolute Lambert-93 coordinates of an offset from the grid corner."""
    return (X0 + dx, Y0 + dy)
