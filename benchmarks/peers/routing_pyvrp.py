"""Reference solver for benchmarks/routing.py, run inside its own virtualenv (PyVRP).

stdin: JSON {"problems": [{"matrix": [[int]], "service": [int], "windows": [[a, b]] | null,
"demand": [int] | null, "capacity": int | null, "vehicles": int, "open": bool}], "seconds": float}
stdout: JSON [{"cost": int, "routes": number of routes, "feasible": bool}]
Location 0 is the depot.
"""

import json
import sys

from pyvrp import Model
from pyvrp.stop import MaxRuntime


def solve(problem: dict, seconds: float) -> dict:
    matrix = problem["matrix"]
    n = len(matrix)
    windows = problem.get("windows")
    demand = problem.get("demand") or [0] * n
    model = Model()  # PyVRP >= 0.14: locations, then depots/clients at them
    horizon = windows[0][1] if windows else 10**9
    locs = [model.add_location(x=0, y=0) for _ in range(n)]
    depot = model.add_depot(locs[0], tw_late=horizon)
    model.add_vehicle_type(
        num_available=problem["vehicles"], capacity=problem.get("capacity") or 0, start_depot=depot,
        end_depot=depot, tw_late=horizon,
    )  # fmt: skip
    for i in range(1, n):
        tw = windows[i] if windows else (0, horizon)
        model.add_client(locs[i], delivery=demand[i], service_duration=problem["service"][i],
                         tw_early=tw[0], tw_late=tw[1])  # fmt: skip
    for i in range(n):
        for j in range(n):
            if i != j:
                back = problem.get("open") and j == 0
                cost = 0 if back else matrix[i][j]
                model.add_edge(locs[i], locs[j], distance=cost, duration=cost)
    result = model.solve(stop=MaxRuntime(seconds), display=False)
    best = result.best
    return {
        "cost": int(result.cost()) if best.is_feasible() else None,
        "routes": len(best.routes()),
        "feasible": bool(best.is_feasible()),
    }


if __name__ == "__main__":
    payload = json.load(sys.stdin)
    json.dump([solve(p, payload["seconds"]) for p in payload["problems"]], sys.stdout)
