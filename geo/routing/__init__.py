"""Round planning on the street network: pgRouting graph + VROOM.

Split by concern: `profiles` (who may use which street, how fast), `topology` (the
pgRouting graph kept in geo_streetsegment.source/target), `graph` (a pruned per-request
copy of the graph and snapping), `matrix` (cost matrix), `solver` (VROOM), `polish` (local
search on a single round's matrix, after VROOM), `legs` (route geometry), `planner` (the
whole pipeline for one round). Storage SRID throughout (metres).
"""

from pathlib import Path

# The named .sql files of the routing code live in geo/sql/, run through core/sql.py.
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def routing_sql(name: str) -> Path:
    return SQL_DIR / name
