"""The registry of import and export targets: what a file can be imported into or exported from.

geo/io keeps the readers, checks and writers; each app registers the layers it owns from its
AppConfig.ready() (geo: assets and zones; interventions: reports, interventions, missions), so
this package never imports an app above it. Targets are listed in registration order.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import Model


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text | int | bool | decimal | date | datetime | choice
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    # (code, label) pairs of a choice (TextChoices.choices; lazy labels): a file may give the
    # label, in any of the site's languages ("Nouveau", "Mur"), instead of the code.
    labels: tuple[tuple[str, Any], ...] = ()
    max_length: int | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class TargetSpec:
    name: str
    geometry: str  # point | polygon | any
    fields: tuple[FieldSpec, ...]
    has_attributes: bool
    needs_category: bool


@dataclass(frozen=True)
class ImportTarget:
    """An import target: its fields, the SQL that upserts the staged rows, its category model.

    `upsert_sql` reads the `import_staging` table (geo/sql/import_staging.sql) with
    %(community_id)s and %(mapped)s and returns one row (created, updated).
    """

    spec: TargetSpec
    upsert_sql: Path
    category_model: type[Model] | None = None

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class ExportSpec:
    name: str
    model: type[Model]
    geom: str  # geometry field
    columns: tuple[tuple[str, str], ...]  # (output column, ORM path)
    date_field: str | None  # what date_from/date_to filter on
    has_category: bool
    has_status: bool
    has_attributes: bool


# A hook run after a bulk import wrote rows, in its transaction: (community id) -> a note for
# the report, or None. Apps above geo register theirs (e.g. dashboards' site attribution).
AfterImport = Callable[[int], str | None]


@dataclass
class _Registry:
    imports: dict[str, ImportTarget] = field(default_factory=dict)
    exports: dict[str, ExportSpec] = field(default_factory=dict)
    after: dict[str, dict[str, AfterImport]] = field(default_factory=dict)


_REGISTRY = _Registry()


def register_import_target(target: ImportTarget) -> None:
    """Called from an AppConfig.ready(); registering the same name again replaces it."""
    _REGISTRY.imports[target.name] = target


def register_export_target(spec: ExportSpec) -> None:
    _REGISTRY.exports[spec.name] = spec


def import_target_names() -> tuple[str, ...]:
    return tuple(_REGISTRY.imports)


def export_target_names() -> tuple[str, ...]:
    return tuple(_REGISTRY.exports)


def import_target(name: str) -> ImportTarget | None:
    return _REGISTRY.imports.get(name)


def export_target(name: str) -> ExportSpec | None:
    return _REGISTRY.exports.get(name)


def register_after_import(target: str, key: str, hook: AfterImport) -> None:
    """Run `hook` after every import into `target` that wrote rows (registered once per key)."""
    _REGISTRY.after.setdefault(target, {})[key] = hook


def after_import_hooks(target: str) -> list[AfterImport]:
    return list(_REGISTRY.after.get(target, {}).values())
