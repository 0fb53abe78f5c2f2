"""python manage.py import_streets PATH --community SLUG [--layer NAME] [--srid N] [--dry-run]"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Community
from geo.io.errors import ImportFileError
from geo.services.streets import street_network_import


class Command(BaseCommand):
    # The system checks import every URL module and view (~2 s of a 10 s city import): a data
    # import needs the models only; `manage.py check` and every server start still run them.
    requires_system_checks: list[str] = []
    help = (
        "Load a community's street network for routing from an OpenStreetMap extract (.osm.pbf, "
        ".osm) or any line layer (Shapefile, GeoPackage, GeoJSON) in any CRS. Replaces the "
        "previous network; segments are split at intersections, lengths in metres. An OSM file "
        "streams through: only the ways near the territory are kept (a regional extract imports "
        "one commune in bounded memory)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--community", required=True, help="community slug")
        parser.add_argument("--layer", help="layer of a GeoPackage, or shapefile in a folder/zip")
        parser.add_argument("--srid", type=int, help="EPSG code of a line layer that lacks one")
        parser.add_argument("--dry-run", action="store_true", help="read, split and count; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"unknown community '{options['community']}'")
        try:
            report = street_network_import(
                community=community,
                path=options["path"],
                layer=options["layer"],
                srid=options["srid"],
                dry_run=options["dry_run"],
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        if report.kept == 0:
            raise CommandError(f"{report.summary()}: no street inside the territory, nothing written")
        prefix = "dry run, nothing written: " if report.dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
