"""manage.py create_analyst_role --name NAME [--password P]: a read-only role for analysts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from warehouse.reporting.roles import AnalystRoleError, analyst_role_create, analyst_role_drop


class Command(BaseCommand):
    help = (
        "Create (or reset) a PostgreSQL role that can SELECT from the reporting schema and nothing else. "
        "Without --password a random one is generated and printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Role name: lower-case letters, digits and _.")
        parser.add_argument("--password", help="The role's password (default: a new random one, printed).")
        parser.add_argument("--statement-timeout", help="Per-statement limit, e.g. 30s (default: setting).")
        parser.add_argument("--database", default="default", help="Django database alias.")
        parser.add_argument("--drop", action="store_true", help="Remove the role instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["name"]
        try:
            if options["drop"]:
                dropped = analyst_role_drop(name=name, using=options["database"])
                self.stdout.write(f"role {name} dropped" if dropped else f"role {name} did not exist")
                return
            role = analyst_role_create(
                name=name,
                password=options["password"],
                statement_timeout=options["statement_timeout"],
                using=options["database"],
            )
        except AnalystRoleError as exc:
            raise CommandError(str(exc)) from exc
        for note in role.notes:
            self.stdout.write(f"note: {note}")
        db = connections[options["database"]].settings_dict
        verb = "created" if role.created else "reset"
        self.stdout.write(self.style.SUCCESS(f"analyst role {role.name} {verb}: SELECT on reporting.* only"))
        if not options["password"]:
            self.stdout.write(f"password (shown once): {role.password}")
        host = db.get("HOST") or "localhost"
        port = db.get("PORT") or 5432
        self.stdout.write(f'connect with: psql "host={host} port={port} dbname={role.database} user={role.name}"')
