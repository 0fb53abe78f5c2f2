"""python manage.py export_geodata --community SLUG --what … --format geojson|gpkg|shp|csv [--crs] [filters]"""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Community
from core.params import ParamError
from geo.io.export_queries import FORMATS
from geo.io.targets import export_target_names
from geo.io.writers import export_prepare


class Command(BaseCommand):
    help = "Export a community's assets, zones, reports, interventions or missions (streamed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", required=True, help="community slug")
        parser.add_argument("--what", required=True, choices=export_target_names())
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument(
            "--crs", help="EPSG:xxxx (default: EPSG:4326 for geojson/csv, storage SRID otherwise)"
        )
        parser.add_argument(
            "--output", "-o", help="file to write (default: <community>-<what>.<ext>; - for stdout)"
        )
        parser.add_argument("--category", help="category code(s), comma-separated")
        parser.add_argument("--status", help="status(es), comma-separated")
        parser.add_argument("--date-from", help="YYYY-MM-DD")
        parser.add_argument("--date-to", help="YYYY-MM-DD")
        parser.add_argument("--bbox", help="minx,miny,maxx,maxy in EPSG:4326")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"unknown community '{options['community']}'")
        filters = {
            key: options[key]
            for key in ("category", "status", "date_from", "date_to", "bbox")
            if options[key]
        }
        try:
            export = export_prepare(
                community=community,
                what=options["what"],
                fmt=options["fmt"],
                crs=options["crs"],
                filters=filters,
            )
        except ParamError as exc:
            raise CommandError(f"--{exc.field.replace('_', '-')}: {exc.message}") from exc
        target = options["output"] or export.filename
        if target == "-":
            for block in export.stream():
                sys.stdout.buffer.write(block)
            return
        size = 0
        with Path(target).open("wb") as out:
            for block in export.stream():
                out.write(block)
                size += len(block)
        self.stderr.write(f"{target}: {size} bytes, EPSG:{export.srid}")
