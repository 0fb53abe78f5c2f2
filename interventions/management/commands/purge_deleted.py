"""Remove for good the interventions and missions soft-deleted more than N days ago."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.context import Actor, audit_context
from interventions.services.deletion import purge_deleted


class Command(BaseCommand):
    help = (
        "Delete for good the interventions and missions deleted more than --older-than DAYS ago "
        "(the audit trail keeps a 'purge' event with their last values)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument("--dry-run", action="store_true", help="Count only; delete nothing.")

    def handle(self, *args: Any, older_than: int, dry_run: bool, **options: Any) -> None:
        if older_than < 0:
            raise CommandError("--older-than: expected a number of days >= 0.")
        with audit_context(actor=Actor(username="purge_deleted")):
            counts = purge_deleted(older_than=dt.timedelta(days=older_than), dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        for name, count in counts.items():
            self.stdout.write(f"{verb} {count} {name}(s) deleted more than {older_than} days ago")
