"""Cost matrix between snapped points (metres), from pgRouting."""

import numpy as np

from core.sql import run_sql

from . import routing_sql


def cost_matrix(*, pids: list[int], size: int) -> np.ndarray:
    """size x size metres between routing points `pids` (1-based); inf where unreachable.

    Rows/columns are indexed by pid - 1; points not in `pids` stay inf (except the diagonal).
    """
    matrix = np.full((size, size), np.inf)
    np.fill_diagonal(matrix, 0.0)
    if len(pids) > 1:
        rows = run_sql(routing_sql("routing_matrix.sql"), {"pids": [-p for p in pids]})
        if rows:
            data = np.asarray(rows, dtype=float)
            matrix[data[:, 0].astype(int) - 1, data[:, 1].astype(int) - 1] = data[:, 2]
    return matrix
