"""python manage.py onboard_community SLUG --name NAME (--territory FILE | --bbox W,S,E,N)
[--streets FILE] [--assets FILE --asset-category-column COL] [--districts FILE]
[--addresses FILE] [--history FILE] [--admin USERNAME --admin-email EMAIL]

A community's first day in one command: each step calls the command a person would run
(create_community, import_streets, import_geodata, import_addresses, create_user), so the
checks and messages are theirs. Each step is all or nothing (its own command's transaction);
a failed step stops the run, the steps already done stay. Re-runnable: an existing community
or user is kept, the street network and addresses are replaced, and a layer without
`--…-id` column is imported only into an empty target (with one, rows are updated by id).
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command, load_command_class
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Community, User
from geo.models import Asset, Zone
from geo.services.addresses import addresses_backfill, street_names_refresh


@dataclass
class Step:
    name: str
    outcome: str  # "done", "skipped", "failed"
    detail: str
    seconds: float = 0.0


def command_options(app: str, name: str) -> set[str]:
    """The option destinations a command accepts (to call only what exists today)."""
    parser = load_command_class(app, name).create_parser("manage.py", name)
    return {action.dest for action in parser._actions}


class Command(BaseCommand):
    help = __doc__

    def run_from_argv(self, argv: list[str]) -> None:
        # "--bbox -3.42,47.71,…": argparse takes a value starting with "-" for an option;
        # glued as "--bbox=-3.42,…" it is read as typed (communes west of Greenwich).
        fixed: list[str] = []
        for arg in argv:
            if fixed and fixed[-1] == "--bbox" and arg.startswith("-"):
                fixed[-1] = f"--bbox={arg}"
            else:
                fixed.append(arg)
        super().run_from_argv(fixed)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--territory", type=Path, help="polygon file of the territory, any CRS")
        where.add_argument("--bbox", help="W,S,E,N in degrees (WGS84), e.g. -3.42,47.71,-3.33,47.78")
        parser.add_argument(
            "--streets", type=Path, help="OSM extract (.osm.pbf, .osm[.gz|.bz2]) or line layer"
        )
        parser.add_argument("--assets", type=Path, help="asset layer (GeoJSON, GeoPackage, Shapefile, CSV…)")
        parser.add_argument(
            "--asset-category-column", metavar="COL", help="column naming each asset's category"
        )
        parser.add_argument("--assets-id", metavar="COL", help="column of stable asset ids (re-runs update)")
        parser.add_argument("--districts", type=Path, help="district polygons")
        parser.add_argument("--districts-id", metavar="COL", help="column of stable district ids")
        parser.add_argument("--addresses", type=Path, help="BAN or BAL CSV (.csv or .csv.gz)")
        parser.add_argument("--history", type=Path, help="past interventions (.xlsx, .ods, .csv)")
        parser.add_argument("--history-id", metavar="COL", help="column of stable intervention ids")
        parser.add_argument(
            "--history-category-column", metavar="COL", help="column naming each past intervention's category"
        )
        parser.add_argument("--admin", metavar="USERNAME", help="the community's first administrator")
        parser.add_argument("--admin-email", metavar="EMAIL", default="")
        parser.add_argument(
            "--admin-password-env", metavar="VAR", help="environment variable holding the admin's password"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"]
        self.steps: list[Step] = []
        self.verbosity = options["verbosity"]

        def community_step() -> str | None:
            existing = Community.objects.filter(slug=slug).first()
            if existing is not None:
                return None
            # "--bbox=W,…" in one word: a negative W would otherwise be taken for an option.
            where = (
                f"--territory={options['territory']}" if options["territory"] else f"--bbox={options['bbox']}"
            )
            return self._call("create_community", slug, where, name=options["name"])

        self._run("community", community_step, skipped="already exists, kept as it is")

        if options["streets"]:
            self._run(
                "streets",
                lambda: self._call("import_streets", str(options["streets"]), community=slug),
            )
        if options["districts"]:
            self._run(
                "districts",
                lambda: self._import_layer(
                    options["districts"], slug, "zones", options["districts_id"], Zone, extra={}
                ),
                skipped="the community already has districts (give --districts-id COL to update them)",
            )
        if options["assets"]:
            self._run(
                "assets",
                lambda: self._assets(options, slug),
                skipped="the community already has assets (give --assets-id COL to update them)",
            )
        if options["addresses"]:
            self._run(
                "addresses",
                lambda: self._call("import_addresses", str(options["addresses"]), community=slug),
            )
        if options["history"]:
            self._run(
                "history",
                lambda: self._import_layer(
                    options["history"],
                    slug,
                    "interventions",
                    options["history_id"],
                    None,
                    extra=self._categories(options["history_category_column"]),
                ),
                skipped="the community already has interventions (give --history-id COL to update them)",
            )
        if options["admin"]:
            self._run("admin", lambda: self._admin(options, slug), skipped="the user already exists, kept")
        community = Community.objects.get(slug=slug)
        # Searchable street names from the (new) network; addresses of everything imported.
        street_names_refresh(community=community)
        addresses_backfill(community=community)
        self._summary(slug)

    def _run(self, name: str, action: Any, skipped: str = "") -> None:
        if self.verbosity >= 1:
            self.stderr.write(f"[{len(self.steps) + 1}] {name}…")
        start = time.monotonic()
        try:
            detail = action()
        except Exception as exc:  # a command's own bug too: the step is named, the run stops
            problem = str(exc) if isinstance(exc, CommandError) else f"{type(exc).__name__}: {exc}"
            self.steps.append(Step(name, "failed", problem, time.monotonic() - start))
            self._summary("")
            raise CommandError(
                f"step '{name}' failed, nothing of it was written (earlier steps are kept; fix and re-run): "
                f"{problem}"
            ) from exc
        outcome = "skipped" if detail is None else "done"
        self.steps.append(
            Step(name, outcome, skipped if detail is None else detail, time.monotonic() - start)
        )

    def _call(self, command: str, *args: Any, **options: Any) -> str:
        from io import StringIO

        out = StringIO()
        call_command(command, *args, stdout=out, stderr=StringIO(), **options)
        return out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else "done"

    def _import_layer(
        self, path: Path, slug: str, into: str, id_column: str | None, model: Any, extra: dict[str, Any]
    ) -> str | None:
        options = dict(extra)
        if id_column:
            options["external_id"] = id_column
        elif self._has_rows(slug, into, model):
            return None
        return self._call("import_geodata", str(path), community=slug, into=into, **options)

    def _has_rows(self, slug: str, into: str, model: Any) -> bool:
        community = Community.objects.get(slug=slug)
        if model is not None:
            return bool(model.objects.filter(community=community).exists())
        return bool(community.interventions.exists())

    def _categories(self, column: str | None) -> dict[str, Any]:
        """import_geodata options for a category column: its values become categories."""
        if not column:
            return {}
        if "create_categories" not in command_options("geo", "import_geodata"):
            raise CommandError(
                "import_geodata has no --create-categories option in this version: import this layer "
                "with import_geodata --map category=COLUMN once its categories exist"
            )
        return {"map": [f"category={column}"], "create_categories": True}

    def _assets(self, options: dict[str, Any], slug: str) -> str | None:
        extra = self._categories(options["asset_category_column"])
        return self._import_layer(options["assets"], slug, "assets", options["assets_id"], Asset, extra=extra)

    def _admin(self, options: dict[str, Any], slug: str) -> str | None:
        if User.objects.filter(username=options["admin"]).exists():
            return None
        if not options["admin_password_env"]:
            raise CommandError(
                "--admin needs --admin-password-env VAR (the environment variable of its password)"
            )
        return self._call(
            "create_user",
            options["admin"],
            community=slug,
            role="admin",
            email=options["admin_email"],
            password_env=options["admin_password_env"],
        )

    def _summary(self, slug: str) -> None:
        if not self.steps:
            return
        lines = [f"Onboarding of '{slug}':" if slug else "Onboarding stopped:"]
        for step in self.steps:
            lines.append(f"  {step.name:<10} {step.outcome:<8} {step.seconds:6.1f} s  {step.detail}")
        self.stdout.write("\n".join(lines))
