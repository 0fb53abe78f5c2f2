"""`manage.py demo_logins`: where to go and how to log in to the demo (printed by `make run`)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Membership

DEMO_USERNAMES = ["demo-admin", "demo-dispatcher", "demo-agent", "demo-viewer"]


class Command(BaseCommand):
    help = "Print the URL, the demo log-ins with their roles and password, the admin and API docs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Base URL (default %(default)s)")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"].rstrip("/")
        memberships = {
            m.user.username: m
            for m in Membership.objects.select_related("user", "community").filter(
                community__slug="demo", user__username__in=DEMO_USERNAMES
            )
        }
        self.stdout.write(f"Ronde: {url}/")
        if not memberships:
            self.stdout.write("No demo community in this database: log in with the users you created.")
        else:
            community = next(iter(memberships.values())).community
            self.stdout.write(f"Demo community: {community.name} ({community.slug}). Log in as:")
            for username in DEMO_USERNAMES:
                if username in memberships:
                    role = memberships[username].get_role_display()
                    self.stdout.write(
                        f"  {username:<16} {str(role):<36} password: {settings.RONDE_DEMO_PASSWORD}"
                    )
            self.stdout.write(f"Open311 partner key: {settings.RONDE_DEMO_OPEN311_KEY} ({url}/open311/v2/)")
        self.stdout.write(f"Admin: {url}/admin/    API docs: {url}/api/docs/")
