from .addresses import Address, AddressField, StreetName, StreetNameSource
from .assets import Asset, AssetCategory, AssetKind, Support
from .imports import ImportJob, ImportStatus, ImportTarget
from .network import StreetKind, StreetSegment
from .zones import Zone, ZoneKind

__all__ = [
    "Address",
    "AddressField",
    "Asset",
    "AssetCategory",
    "AssetKind",
    "ImportJob",
    "ImportStatus",
    "ImportTarget",
    "StreetKind",
    "StreetName",
    "StreetNameSource",
    "StreetSegment",
    "Support",
    "Zone",
    "ZoneKind",
]
