"""Read the Solomon VRPTW instances shipped in the VRPSolverEasy wheel with vrplib (run in
the bench-only virtualenv); print them as JSON for benchmarks/routing.py."""

import json
import sys
from pathlib import Path

import vrplib
import VRPSolverEasy

folder = Path(VRPSolverEasy.__file__).parent / "demos" / "data" / "CVRPTW"
names = sys.argv[1:]
out = []
for path in sorted(folder.glob("*.txt")):
    if names and path.stem not in names:
        continue
    inst = vrplib.read_instance(str(path), instance_format="solomon")
    out.append(
        {
            "name": path.stem,
            "coords": inst["node_coord"].tolist(),
            "demand": inst["demand"].tolist(),
            "windows": inst["time_window"].tolist(),
            "service": inst["service_time"].tolist(),
            "capacity": int(inst["capacity"]),
            "vehicles": int(inst["vehicles"]),
        }
    )
json.dump(out, sys.stdout)
