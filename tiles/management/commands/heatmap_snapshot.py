"""Write the heatmap point snapshot file of a community (or of every community) on this host.

The separate loader process: a worker due to reload its points runs it and maps the file it
writes (tiles/heatmap/store.py), so the load never sits in a worker's own memory; run by
hand (or after a restore) it rebuilds the file the workers then map at their next refresh.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Community
from tiles.heatmap.store import snapshot_path, snapshot_reload


class Command(BaseCommand):
    help = "Load the done interventions of a community (default: every community) into its heatmap snapshot file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", metavar="SLUG", help="One community, by slug.")
        parser.add_argument("--community-id", type=int, metavar="ID", help="One community, by id.")
        parser.add_argument(
            "--loaded-before",
            type=float,
            metavar="EPOCH",
            help="Skip a community whose file was loaded after this time (another loader came first).",
        )

    def handle(
        self,
        *args: Any,
        community: str | None,
        community_id: int | None,
        loaded_before: float | None,
        **options: Any,
    ) -> None:
        found = Community.objects.all()
        if community:
            found = found.filter(slug=community)
        if community_id is not None:
            found = found.filter(pk=community_id)
        ids = list(found.order_by("pk").values_list("pk", flat=True))
        if not ids:
            raise CommandError(f"--community: no community {community or community_id}.")
        for pk in ids:
            written = snapshot_reload(pk, loaded_before=loaded_before)
            state = "written" if written else "already reloaded by another loader"
            self.stdout.write(f"community {pk}: {snapshot_path(pk)} {state}")
