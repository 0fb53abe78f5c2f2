"""The one helper that runs the named .sql files kept beside the code (CONVENTIONS §7)."""

from functools import cache
from pathlib import Path
from typing import Any

from django.db import connection


@cache
def sql_text(path: str | Path) -> str:
    """The text of a .sql file, read once per process."""
    return Path(path).read_text(encoding="utf-8")


def run_sql(path: str | Path, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Run the statement in `path` with %(name)s parameters; return its rows (if any)."""
    with connection.cursor() as cursor:
        cursor.execute(sql_text(path), params or {})
        return cursor.fetchall() if cursor.description else []


@cache  # Path.resolve() is a few system calls: ~0.1 ms, a tenth of a cached tile's cost
def sql_path(module_file: str, name: str) -> Path:
    """`sql_path(__file__, "cost_matrix.sql")` -> <module dir>/sql/cost_matrix.sql."""
    return Path(module_file).resolve().parent / "sql" / name
