"""Where this app's named .sql files live (dashboards/sql/)."""

from pathlib import Path

from core.sql import sql_path


def sql_file(name: str) -> Path:
    return sql_path(str(Path(__file__)), name)
