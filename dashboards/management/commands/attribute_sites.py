"""Backfill: put every done tag removal on its site (set-based SQL, fast on 1M rows)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Community
from dashboards.services.recurrence import recurrence_refresh
from dashboards.services.sites import sites_attribute_all


class Command(BaseCommand):
    help = "Attribute tag removals (and tag reports) to surface sites; create missing sites."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--community", help="community slug (default: every community)")
        parser.add_argument("--radius", type=float, help="metres (default: settings.RONDE_SITE_RADIUS_M)")
        parser.add_argument("--no-facts", action="store_true", help="do not rebuild the recurrence facts")

    def handle(self, *args: Any, **options: Any) -> None:
        community = None
        if options.get("community"):
            community = Community.objects.filter(slug=options["community"]).first()
            if community is None:
                raise CommandError(f"--community: no community with slug '{options['community']}'.")
        radius = options.get("radius")
        if radius is not None and not 0 < radius <= 100:
            raise CommandError(f"--radius: {radius} m is out of range (0, 100].")
        started = time.perf_counter()
        result = sites_attribute_all(community=community, radius_m=radius)
        self.stdout.write(
            f"{result.joined_existing} removals joined existing sites, "
            f"{result.sites_created} sites created for {result.joined_new} removals, "
            f"{result.reports_joined} reports joined sites "
            f"({time.perf_counter() - started:.1f} s)."
        )
        if options.get("no_facts"):
            return
        started = time.perf_counter()
        ids = [community.pk] if community else list(Community.objects.values_list("pk", flat=True))
        rows = sum(recurrence_refresh(community_id=pk).rows for pk in ids)
        self.stdout.write(
            f"Recurrence facts rebuilt: {rows} removals ({time.perf_counter() - started:.1f} s)."
        )
