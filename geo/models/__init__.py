from .assets import Asset, AssetCategory, AssetKind, Support
from .imports import ImportJob, ImportStatus, ImportTarget
from .network import StreetKind, StreetSegment
from .zones import Zone, ZoneKind

__all__ = [
    "Asset",
    "AssetCategory",
    "AssetKind",
    "ImportJob",
    "ImportStatus",
    "ImportTarget",
    "StreetKind",
    "StreetSegment",
    "Support",
    "Zone",
    "ZoneKind",
]
