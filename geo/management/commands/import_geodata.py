"""python manage.py import_geodata PATH --community SLUG --into assets|zones|reports|interventions …"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.models import Community
from geo.io.categories import read_category_map
from geo.io.errors import ImportFileError
from geo.io.targets import import_target_names
from geo.services.imports import geodata_import


def parse_map(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise CommandError(f"--map expects field=column, got '{item}'")
        mapping[field.strip()] = column.strip()
    return mapping


class Command(BaseCommand):
    # The system checks import every URL module and view (~2 s of a 10 s city import): a data
    # import needs the models only; `manage.py check` and every server start still run them.
    requires_system_checks: list[str] = []
    help = (
        "Import a GeoJSON, GeoPackage, Shapefile (.shp, folder or .zip), CSV or KML file into a "
        "community's assets, zones, reports or interventions. All or nothing; --dry-run checks only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--community", required=True, help="community slug")
        parser.add_argument("--into", required=True, choices=import_target_names())
        parser.add_argument("--layer", help="layer of a GeoPackage/KML, or shapefile name in a folder/zip")
        parser.add_argument(
            "--category",
            help="asset category code (assets) or work category code (reports, interventions)",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="feed FIELD from COLUMN (repeatable); CSV geometry: lon=…, lat=… or geom=…",
        )
        parser.add_argument("--external-id", metavar="COLUMN", help="column of stable ids: re-imports update")
        parser.add_argument("--srid", type=int, help="EPSG code of the source when the file lacks one")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument(
            "--create-categories",
            action="store_true",
            help="with --map category=COLUMN: create a category for each value matching no code or name",
        )
        parser.add_argument(
            "--category-map",
            metavar="FILE.csv",
            help="'value;code' lines: the category column's values mapped to existing category codes",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"unknown community '{options['community']}'")
        bar = tqdm(total=0, unit="feature", disable=options["verbosity"] < 1, file=self.stderr)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            category_map = read_category_map(options["category_map"]) if options["category_map"] else {}
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        report = geodata_import(
            community=community,
            path=options["path"],
            into=options["into"],
            layer=options["layer"],
            category=options["category"],
            mapping=parse_map(options["map"]),
            external_id=options["external_id"],
            srid=options["srid"],
            dry_run=options["dry_run"],
            progress=progress,
            create_categories=options["create_categories"],
            category_map=category_map,
        )
        bar.close()
        for note in report.notes:
            self.stdout.write(f"{report.file}: {note}")
        for line in report.lines(limit=200):
            self.stdout.write(line)
        summary = (
            f"{report.file} ({report.crs or '?'}, {', '.join(report.geometry_types) or '?'}): "
            f"{report.total} features, {report.created} created, {report.updated} updated, "
            f"{report.skipped} skipped, {report.repaired} repaired"
        )
        if not report.ok:
            first = report.errors[0].describe(report.file)
            raise CommandError(
                f"{summary}; {len(report.errors)} error(s), first: {first}; nothing was written"
            )
        if report.created_categories:
            verb = "would create" if report.dry_run else "created"
            summary += f"; {verb} {len(report.created_categories)} categories: {', '.join(report.created_categories)}"
        prefix = "dry run, nothing written: " if report.dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + summary))
