from .assets import Asset, AssetCategory, AssetKind, Support
from .network import StreetKind, StreetSegment
from .zones import Zone, ZoneKind

__all__ = [
    "Asset",
    "AssetCategory",
    "AssetKind",
    "StreetKind",
    "StreetSegment",
    "Support",
    "Zone",
    "ZoneKind",
]
