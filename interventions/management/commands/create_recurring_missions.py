"""Create the draft missions of recurring templates (run daily, e.g. from cron at 05:00)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Community
from interventions.services.recurrence import missions_create_recurring


class Command(BaseCommand):
    help = "Create the day's missions from the recurring mission templates (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="First day, YYYY-MM-DD (default: today).")
        parser.add_argument("--days", type=int, default=1, help="How many days from --date (default 1).")
        parser.add_argument("--community", help="Only this community (slug).")
        parser.add_argument("--optimize", action="store_true", help="Also optimise each new round.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {options['date']!r}.") from exc
        if not 1 <= options["days"] <= 366:
            raise CommandError("--days: between 1 and 366.")
        community = None
        if options["community"]:
            community = Community.objects.filter(slug=options["community"]).first()
            if community is None:
                raise CommandError(f"--community: no community '{options['community']}'.")
        total = 0
        for offset in range(options["days"]):
            date = start + dt.timedelta(days=offset)
            run = missions_create_recurring(date=date, community=community, optimize=options["optimize"])
            for mission in run.created:
                self.stdout.write(
                    f"{date}: mission {mission.pk} '{mission.name}' ({mission.stops.count()} stops)"
                )
            for template, why in run.skipped:
                self.stdout.write(f"{date}: template {template.pk} '{template.name}' skipped: {why}")
            total += len(run.created)
        self.stdout.write(self.style.SUCCESS(f"{total} mission(s) created."))
