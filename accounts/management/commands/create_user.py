"""`manage.py create_user USERNAME --community SLUG --role ROLE [--email E] [--password-env VAR]`."""

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Community, Role
from accounts.services import user_create


class Command(BaseCommand):
    help = (
        "Create a user with a role in a community (or give an existing user that role). The password "
        "is prompted twice, or read from the environment variable named by --password-env."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--community", required=True, help="Community slug")
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="Read the password from this environment variable (e.g. RONDE_USER_PASSWORD) for scripts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["role"] not in Role.values:
            raise CommandError(
                f"--role: unknown role '{options['role']}'; expected one of {', '.join(Role.values)}."
            )
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"--community: no community with slug '{options['community']}'.")
        password = self._password(options["password_env"])
        try:
            user = user_create(
                username=options["username"],
                community=community,
                role=options["role"],
                password=password,
                email=options["email"],
            )
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"User '{user.username}' is {options['role']} in '{community.slug}'.")
        )

    def _password(self, variable: str | None) -> str:
        if variable:
            password = os.environ.get(variable, "")
            if not password:
                raise CommandError(f"--password-env: the environment variable {variable} is unset or empty.")
            return password
        first = getpass.getpass("Password: ")
        if not first:
            raise CommandError("Empty password.")
        if getpass.getpass("Password (again): ") != first:
            raise CommandError("The two passwords differ.")
        return first
