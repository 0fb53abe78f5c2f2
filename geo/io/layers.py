"""geo's own import/export targets: assets and zones (registered by GeoConfig.ready())."""

from pathlib import Path

from geo.models import Asset, AssetCategory, Zone, ZoneKind

from .mapping import NAME, SUPPORT
from .targets import (
    ExportSpec,
    FieldSpec,
    ImportTarget,
    TargetSpec,
    register_export_target,
    register_import_target,
)

COMMON_EXPORT = (("ronde_id", "pk"), ("external_id", "external_id"))


def register() -> None:
    geo_dir = Path(__file__).resolve().parent.parent / "sql"  # geo/sql/
    register_import_target(
        ImportTarget(
            TargetSpec("assets", "any", (NAME, SUPPORT), True, True),
            geo_dir / "import_upsert_assets.sql",
            AssetCategory,
        )
    )
    kind = FieldSpec("kind", "choice", ("type",), tuple(ZoneKind.values), labels=tuple(ZoneKind.choices))
    register_import_target(
        ImportTarget(
            TargetSpec("zones", "polygon", (NAME, kind), True, False), geo_dir / "import_upsert_zones.sql"
        )
    )
    asset_columns = (*COMMON_EXPORT, ("name", "name"), ("category", "category__code"), ("support", "support"))
    register_export_target(
        ExportSpec("assets", Asset, "geom", asset_columns, "updated_at", True, False, True)
    )
    zone_columns = (*COMMON_EXPORT, ("name", "name"), ("kind", "kind"))
    register_export_target(ExportSpec("zones", Zone, "geom", zone_columns, "updated_at", False, False, True))
