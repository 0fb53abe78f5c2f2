"""python manage.py import_addresses FILE --community SLUG [--xy-srid N]"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Community
from geo.io.errors import ImportFileError
from geo.services.addresses import LAMBERT_93, address_import


class Command(BaseCommand):
    # The system checks import every URL module and view (~2 s of a 10 s city import): a data
    # import needs the models only; `manage.py check` and every server start still run them.
    requires_system_checks: list[str] = []
    help = (
        "Load a community's addresses from a Base Adresse Nationale CSV (BAN 'Adresses ODbL' or "
        "adresses-<dep>.csv, or BAL 1.3/1.4 Base Adresse Locale; plain or .gz). Replaces the "
        "community's addresses of the communes in the file (re-runnable), then gives every "
        "report, intervention and site its nearest address."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--community", required=True, help="community slug")
        parser.add_argument(
            "--xy-srid",
            type=int,
            default=LAMBERT_93,
            help="EPSG code of the x;y columns, used only for rows without lon;lat (default 2154)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"unknown community '{options['community']}'")
        verbosity = options["verbosity"]

        def progress(step: str, count: int) -> None:
            if verbosity >= 1:
                labels = {
                    "read": "lines read",
                    "place": "addresses read, placing",
                    "addresses": "addresses kept",
                }
                self.stderr.write(f"  {count} {labels.get(step, step)}…")

        try:
            report = address_import(
                community=community, path=options["path"], xy_srid=options["xy_srid"], progress=progress
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(report.summary()))
