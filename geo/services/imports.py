"""Import a geodata file into assets, zones, reports or interventions: all or nothing.

Flow: read (pyogrio) → check and clean in Python (geo/io/validation.py) → COPY into a temp
staging table → PostGIS repairs, transforms and checks the territory (geo/sql/import_*.sql) →
one INSERT … ON CONFLICT (external id) per import. One transaction: any error rolls
everything back; a dry run rolls back at the end and returns the same report.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from accounts.models import Community
from core.sql import run_sql, sql_text
from geo.io.categories import column_values, resolve_category_values
from geo.io.errors import NOTE, SKIPPED, ImportFileError, ImportReport
from geo.io.mapping import category_choices, category_codes, resolve_mapping
from geo.io.readers import read_source
from geo.io.targets import after_import_hooks, import_target, import_target_names
from geo.io.validation import DIMENSION, FAMILY, build_rows, check_geometry_family
from geo.models import AssetCategory
from geo.selectors import asset_geometry_types

Progress = Callable[[int, int], None]  # (features done, features in total)
# PostGIS GeometryType() ('MULTIPOLYGON') -> family ('polygon').
POSTGIS_FAMILY = {name.upper(): family for name, family in FAMILY.items()}
COPY_STAGING = "COPY import_staging (idx, ext_id, geom_src, f, attrs) FROM STDIN"


SQL_DIR = Path(__file__).resolve().parent.parent / "sql"  # geo/sql/ (each target's upsert: its app's)


def _sql(name: str) -> Path:
    return SQL_DIR / name


def geodata_import(
    *,
    community: Community,
    path: str | Path,
    into: str,
    layer: str | None = None,
    category: str | None = None,
    mapping: dict[str, str] | None = None,
    external_id: str | None = None,
    srid: int | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    create_categories: bool = False,
    category_map: dict[str, str] | None = None,
) -> ImportReport:
    """Import `path` into `into` for `community`; the report says what happened, feature by feature.

    `category` is an asset category code (assets) or a work category code (reports,
    interventions) used for every feature; `mapping` {field: column} overrides the
    automatic mapping (`category` may map to a column of codes); `srid` declares the
    source CRS when the file has none or a wrong one. `category_map` {value: code} translates
    the category column's values; `create_categories` creates a category for each value that
    matches none. Nothing is written (categories included) when the report has errors or
    `dry_run` is set.
    """
    with transaction.atomic():
        report = _import(
            community=community,
            path=Path(path),
            into=into,
            layer=layer,
            category=category,
            mapping=mapping,
            external_id=external_id,
            srid=srid,
            dry_run=dry_run,
            progress=progress,
            create_categories=create_categories,
            category_map=category_map or {},
        )
        if not report.ok or dry_run:
            transaction.set_rollback(True)
    return report


def _import(
    *,
    community: Community,
    path: Path,
    into: str,
    layer: str | None,
    category: str | None,
    mapping: dict[str, str] | None,
    external_id: str | None,
    srid: int | None,
    dry_run: bool,
    progress: Progress | None,
    create_categories: bool,
    category_map: dict[str, str],
) -> ImportReport:
    report = ImportReport(file=path.name, into=into, dry_run=dry_run)
    mapping = dict(mapping or {})
    try:
        target = import_target(into)
        if target is None:
            raise ImportFileError(path.name, f"unknown target '{into}' ({', '.join(import_target_names())})")
        spec = target.spec
        geometry_columns: dict[str, str] = {k: mapping.pop(k) for k in ("lon", "lat", "geom") if k in mapping}
        source = read_source(path, layer=layer, srid=srid, geometry_columns=geometry_columns)
        report.layer, report.crs, report.total = source.layer, source.crs_label, len(source.frame)
        report.notes += source.notes
        columns = [c for c in source.frame.columns if c != source.frame.geometry.name]
        field_map, external_id = resolve_mapping(path.name, spec, columns, mapping, external_id)
        categories = category_codes(into, community.pk) if spec.needs_category else {}
        category_id = None
        if category:
            category_id = categories.get(category.lower())
            if category_id is None:
                known = ", ".join(code for code, _name in category_choices(into, community.pk)) or "none yet"
                raise ImportFileError(
                    path.name,
                    f"unknown category '{category}' (codes: {known})",
                    _("unknown category '%(code)s' (codes: %(known)s)") % {"code": category, "known": known},
                )
        if spec.needs_category and not category_id and "category" not in field_map:
            raise ImportFileError(
                path.name,
                f"{into} need a category: give --category CODE or --map category=COLUMN",
                _(
                    "every feature needs a category: choose one for every feature, or the column "
                    "that holds the categories in the field mapping ('category')."
                ),
            )
        if "category" in field_map:
            column = field_map["category"]
            values = column_values(source.frame, column)
            report.category_values = dict(values.most_common())
            created = resolve_category_values(
                path.name,
                target=target,
                community_id=community.pk,
                column=column,
                values=values,
                categories=categories,
                category_map=category_map,
                create=create_categories,
            )
            if created:
                report.created_categories = created
                report.notes.append(f"{len(created)} categories created: {', '.join(created)}")
    except ImportFileError as exc:
        report.add(None, "", exc.problem, shown=exc.shown)
        return report
    report.notes.append(
        "mapping: "
        + (", ".join(f"{f} ← {c}" for f, c in sorted(field_map.items())) or "none")
        + (f"; external id ← {external_id}" if external_id else "; no external id (re-import duplicates)")
    )
    family = check_geometry_family(source, spec, report)
    if family is None:
        return report
    if into == "assets" and not _categories_take(
        family, community, source, field_map, category_id, categories, report
    ):
        return report
    total = len(source.frame)
    if progress:
        progress(0, total)
    rows = list(
        build_rows(
            source,
            spec,
            family=family,
            mapping=field_map,
            external_id=external_id,
            category_id=category_id,
            categories=categories,
            report=report,
            # The first half of the bar: checking values; the second: writing.
            progress=(lambda done: progress(done // 2, total)) if progress else None,
        )
    )
    if not report.ok:
        return report
    with transaction.atomic():
        _stage(rows, progress=progress, total=total)
        try:
            with transaction.atomic():  # a savepoint: the import goes on to report and roll back
                run_sql(_sql("import_transform.sql"), {"srid": settings.RONDE_SRID, "dim": DIMENSION[family]})
        except DatabaseError as exc:
            # PROJ refuses coordinates outside the source CRS (e.g. latitude 2049 in EPSG:4326).
            reason = str(exc).strip().splitlines()[0]
            report.add(
                None,
                "",
                f"coordinates cannot be transformed from {report.crs or 'the source CRS'} "
                f"({reason}); check the values and the CRS (--srid)",
                shown=_(
                    "coordinates cannot be transformed from %(crs)s (%(reason)s); check the values and the CRS"
                )
                % {"crs": report.crs or _("the source CRS"), "reason": reason},
            )
            transaction.set_rollback(True)
            return report
        run_sql(_sql("import_territory.sql"), {"community_id": community.pk})
        outside = 0
        for idx, ext_id, problem, reason in run_sql(_sql("import_problems.sql")):
            if problem == "outside":
                outside += 1
                shown = _("outside the community's territory: not imported")
                report.add(idx, ext_id, "outside the community's territory: not imported", SKIPPED, shown)
                report.skipped += 1
            elif problem == "unrepairable":
                report.add(
                    idx,
                    ext_id,
                    f"invalid geometry ({reason}) that ST_MakeValid cannot repair",
                    shown=_("invalid geometry (%(reason)s) that cannot be repaired") % {"reason": reason},
                )
            else:
                shown = _("invalid geometry (%(reason)s) repaired") % {"reason": reason}
                report.add(
                    idx, ext_id, f"invalid geometry ({reason}) repaired with ST_MakeValid", NOTE, shown
                )
                report.repaired += 1
        if rows and outside == len(rows) and not dry_run:
            # As streets and addresses: a file with nothing inside the territory is most likely
            # read in the wrong CRS (or meant for another community), not a success that wrote
            # nothing. A dry run (the web preview) counts them instead, and says so.
            report.add(
                None,
                "",
                f"none of its {outside} features is inside the territory of {community.slug}: "
                "is its CRS right (--srid)?",
                shown=_(
                    "none of its %(n)s features is inside the community's territory: is its coordinate "
                    "system right?"
                )
                % {"n": outside},
            )
        if not report.ok or dry_run:
            transaction.set_rollback(True)
            return report
        mapped = [*field_map.keys(), *(["category"] if category_id else [])]
        created, updated = run_sql(target.upsert_sql, {"community_id": community.pk, "mapped": mapped})[0]
        report.created, report.updated = int(created), int(updated)
        if report.created or report.updated:
            # Bulk writes send no model signals: what follows a write runs here, in the same
            # transaction (site attribution of imported history; tile caches are purged by
            # the tables' triggers, tiles/triggers.py).
            for hook in after_import_hooks(into):
                if note := hook(community.pk):
                    report.notes.append(note)
    if progress:
        progress(total, total)
    return report


def _categories_take(
    family: str,
    community: Community,
    source: Any,
    field_map: dict[str, str],
    category_id: int | None,
    categories: dict[str, int],
    report: ImportReport,
) -> bool:
    """An asset category keeps one geometry family: each is one OGC/WFS layer, which GDAL
    types by its first features (a point among walls made `ogr2ogr` write a non-conformant
    GeoPackage). False after reporting a category that already holds another family."""
    if category_id:
        ids = {category_id}
    else:  # each value of the column, as resolve_category_values matched it (code, name or map)
        values = {str(v).strip() for v in source.frame[field_map["category"]].dropna()}
        found = (categories.get(v, categories.get(v.lower())) for v in values)
        ids = {i for i in found if i is not None}
    codes = set(AssetCategory.objects.filter(community=community, pk__in=ids).values_list("code", flat=True))
    held = asset_geometry_types(community=community)
    for code in sorted(codes):
        others = sorted({POSTGIS_FAMILY.get(t, t.lower()) for t in held.get(code, [])} - {family})
        if others:
            report.add(
                None,
                "",
                f"category '{code}' holds {' and '.join(others)} geometries and this layer has {family}s: "
                "import it into a category of its own (one geometry type per category)",
                shown=_(
                    "category '%(code)s' holds %(others)s geometries and this layer has %(family)s "
                    "geometries: import it into a category of its own (one geometry type per category)"
                )
                % {"code": code, "others": _(" and ").join(others), "family": family},
            )
    return report.ok


def _stage(rows: list, *, progress: Progress | None, total: int) -> None:
    """COPY the rows into a fresh staging table (the fast path: no per-row INSERT)."""
    with connection.cursor() as cursor:
        # Two statements and no parameters: run as a simple query.
        cursor.execute(sql_text(_sql("import_staging.sql")))
        raw: Any = cursor.cursor  # the psycopg cursor under Django's wrapper
        last = time.monotonic()
        with raw.copy(COPY_STAGING) as copy:
            for n, row in enumerate(rows, 1):
                copy.write_row(row)
                if progress and n % 5000 == 0 and time.monotonic() - last > 0.5:
                    last = time.monotonic()
                    progress(total // 2 + n // 2, total)
