"""Install the database triggers that purge cached tiles on every write (sql/purge_functions.sql).

Why in the database: bulk writes (QuerySet.update, bulk_update, COPY imports, raw SQL, a
script in psql) send no Django signal, and a stale tile would show a dispatcher the wrong
colour until the next write nearby. A statement-level trigger sees them all and purges in the
writing transaction. Installed after every `migrate` from tiles/signals.py MAPPED (the one
table of which model feeds which layers) and the layers' zoom ranges, so adding a layer needs
no migration; CREATE OR REPLACE makes it idempotent.
"""

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from core.sql import sql_path, sql_text

from .layers import LAYERS
from .signals import MAPPED
from .statements import BUFFER, EXTENT

EVENTS = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
          "DELETE": "OLD TABLE AS old_rows"}  # fmt: skip


def trigger_statements() -> list[str]:
    # Also: the notifications that tell workers what to forget of the hits they remember.
    statements = [sql_text(sql_path(__file__, name)) for name in ("purge_functions.sql", "hit_notify.sql")]
    for model, (field, layers) in MAPPED.items():
        table = connection.ops.quote_name(model._meta.db_table)
        column = model._meta.get_field(field).column  # type: ignore[union-attr]
        zmin = min(LAYERS[name].minzoom for name in layers)
        zmax = max(LAYERS[name].maxzoom for name in layers)
        args = ", ".join(f"'{a}'" for a in [column, zmin, zmax, BUFFER / EXTENT, *layers])
        for event, referencing in EVENTS.items():
            statements.append(
                f"CREATE OR REPLACE TRIGGER tiles_purge_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION tiles_purge_changed_rows({args})"
            )
    return statements


def install(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver: (re)create the purge functions and triggers."""
    with connections[using].cursor() as cursor:
        for statement in trigger_statements():
            cursor.execute(statement)
