"""Routing benchmark (issue 5): round quality against peers on the same integer matrices,
and end-to-end planning time on the demo city.

    python -m benchmarks routing                       # quick: ~4 min
    RONDE_BENCH_FULL=1 python -m benchmarks routing    # full: every Solomon file, 5–200 stops

1. Missions of 5–200 stops seeded on the demo city's streets (walk and drive), single
   agent, closed round: ours (VROOM + geo.routing.polish, as the planner runs it) and VROOM
   alone vs OR-Tools GLS 1 s and 5 s vs PyVRP (reference, long run, its own virtualenv) on
   the very matrices our planner built; share of draws where ours is worse than OR-Tools 5 s.
2. Solomon VRPTW instances (the VRPSolverEasy wheel ships them; read with vrplib in a
   bench-only virtualenv): VROOM vs PyVRP reference, distances x10 rounded to integers.
3. A 100-stop mission end to end (snap + matrix + solve + geometry) and re-optimising 50
   remaining stops from an agent's position (cached matrix is not used: worst case).
Targets: Solomon mean gap <= 2 %, 100 % feasible; walking <= 2 %, driving <= 5 % from the
reference; worse than OR-Tools 5 s on <= 20 % of draws; 100 stops <= 3 s; re-opt <= 1 s.
"""

import json
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import harness

PEERS = Path(__file__).resolve().parent / "peers"
# Another name keeps a private copy (e.g. while ronde_bench_routing cannot migrate).
BENCH_DB = os.environ.get("RONDE_BENCH_ROUTING_DB", "ronde_bench_routing")
# Quick by default (~4 min); RONDE_BENCH_FULL=1 runs every Solomon instance and more missions.
QUICK = os.environ.get("RONDE_BENCH_FULL") != "1"
SIZES = (5, 20, 50, 100) if QUICK else (5, 20, 50, 100, 200)
DRAWS = 2 if QUICK else 4
REFERENCE_SECONDS = 5.0 if QUICK else 30.0


def _setup() -> int:
    """Django on a database holding the demo city (seeded once); returns its community id."""
    url = harness.django_on(BENCH_DB)
    from accounts.models import Community

    demo = Community.objects.filter(slug="demo").first()
    if demo is None:
        harness._manage(url, "seed_demo", "--scale", "0.05")
        demo = Community.objects.get(slug="demo")
    return demo.pk


def _sites(community_id: int, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Random addresses: a point along a random street, 2–15 m off it (a wall, a door)."""
    from geo.models import StreetSegment

    segments = list(StreetSegment.objects.filter(community_id=community_id).values_list("geom", flat=True))
    sites = []
    for index in rng.choice(len(segments), size=count, replace=True):
        line = segments[int(index)]
        point = line.interpolate_normalized(float(rng.uniform(0.05, 0.95)))
        offset = rng.uniform(2, 15) * rng.choice([-1, 1])
        sites.append((point.x + offset * 0.6, point.y + offset * 0.8))
    return sites


def _plan(community_id, sites, depot, profile, **options):
    from django.db import transaction

    from geo.routing.planner import PlanJob, PlanOptions, plan

    jobs = [PlanJob(k + 1, x, y, 600) for k, (x, y) in enumerate(sites)]
    with transaction.atomic():
        return plan(
            community_id=community_id,
            jobs=jobs,
            options=PlanOptions(start=depot, profile=profile, shift=(0, 10**7), **options),
        )


def _ortools(matrix: np.ndarray, seconds: float) -> int:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(matrix)
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    transit = routing.RegisterTransitMatrix(matrix.astype(int).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(params)
    return int(solution.ObjectiveValue())


def _tour_cost(matrix: np.ndarray, order: list[int]) -> int:
    tour = [0, *order, 0]
    return int(sum(matrix[a, b] for a, b in zip(tour, tour[1:], strict=False)))


def _reference(problems: list[dict], seconds: float) -> list[dict] | None:
    """PyVRP in its own virtualenv (never a dependency of Ronde); None if it cannot be built."""
    try:
        venv = harness.peer_venv("routing-pyvrp", ["pyvrp"])
    except subprocess.CalledProcessError:
        print("  (PyVRP reference unavailable: its virtualenv could not be built)")
        return None
    out = subprocess.run(
        [str(venv / "bin" / "python"), str(PEERS / "routing_pyvrp.py")],
        input=json.dumps({"problems": problems, "seconds": seconds}),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _ours(matrix: np.ndarray, *, general: bool, improve: bool = True) -> tuple[int, float]:
    """Round cost (s) and solve time of our solver on a closed single-agent round."""
    from geo.routing.solver import SolverJob, SolverVehicle, solve

    t = time.perf_counter()
    res = solve(
        durations=matrix,
        distances=matrix,
        jobs=[SolverJob(i, i, 0) for i in range(1, len(matrix))],
        vehicles=[SolverVehicle(0, 0, 0, (0, 10**7))],
        general_path=general,
        improve=improve,
    )
    order = [v.location for v in res.routes[0] if v.kind == "job" and v.location is not None]
    return _tour_cost(matrix, order), time.perf_counter() - t


def missions(community_id: int) -> None:
    from geo.routing.planner import GENERAL_PATH_MAX_JOBS

    print("\n== Seeded missions on the demo city: single agent, closed round, cost = seconds")
    print("   (VROOM fast / general = VROOM alone; ours = the planner's choice, polished)")
    rng = np.random.default_rng(20240601)
    rows: list[dict[str, Any]] = []
    for profile in ("walk", "drive"):
        for size in SIZES:
            for _ in range(DRAWS):
                sites = _sites(community_id, size + 1, rng)
                plan_ = _plan(community_id, sites[1:], sites[0], profile)
                speed = {"walk": 4.5 / 3.6, "drive": 25 / 3.6}[profile]
                metres = np.asarray(plan_.cache["matrix"], dtype=float)
                keep = [0] + [k + 1 for k in range(size) if (k + 1) not in plan_.unassigned]
                matrix = np.rint(metres[np.ix_(keep, keep)] / speed).astype(int)
                small = len(keep) - 1 <= GENERAL_PATH_MAX_JOBS
                ort1 = _ortools(matrix, 1.0)
                rows.append(
                    {
                        "profile": profile,
                        "size": size,
                        "matrix": matrix,
                        "fast": _ours(matrix, general=False, improve=False),
                        # VROOM's general path alone is only affordable on small rounds.
                        "general": _ours(matrix, general=True, improve=False) if small else None,
                        "ours": _ours(matrix, general=small),
                        "ort1": ort1,
                        "ort5": _ortools(matrix, 5.0) if not QUICK or size >= 50 else ort1,
                    }
                )
    problems = [
        {"matrix": r["matrix"].tolist(), "service": [0] * len(r["matrix"]), "windows": None, "vehicles": 1}
        for r in rows
    ]
    reference = _reference(problems, REFERENCE_SECONDS)
    print(f"{'mode':6} {'stops':>5} {'fast gap':>8} {'general':>8} {'ours gap':>8} {'OR1s gap':>8} {'OR5s gap':>8}"
          f" {'ours/OR5':>8} {'worse':>5} {'ours s':>7} {'max s':>6}")  # fmt: skip
    by_group: dict[tuple[str, int], list[dict]] = {}
    for i, r in enumerate(rows):
        ref = reference[i]["cost"] if reference and reference[i]["feasible"] else None
        known = [r["fast"][0], r["ours"][0], r["ort1"], r["ort5"]] + (
            [r["general"][0]] if r["general"] else []
        )
        ref = min([*known, *([ref] if ref else [])])  # the best known round
        costs = {"fast": r["fast"][0], "ours": r["ours"][0], "ort1": r["ort1"], "ort5": r["ort5"]}
        if r["general"]:
            costs["general"] = r["general"][0]
        r["gaps"] = {k: (v / ref - 1) * 100 for k, v in costs.items()}
        r["ratio"] = r["ours"][0] / r["ort5"]
        r["worse"] = r["ours"][0] > r["ort5"]  # a tie is not worse
        by_group.setdefault((r["profile"], r["size"]), []).append(r)
    for (profile, size), group in by_group.items():

        def mean(key, g=group):
            values = [x["gaps"][key] for x in g if key in x["gaps"]]
            return f"{statistics.mean(values):7.2f}%" if values else f"{'-':>8}"

        times = [x["ours"][1] for x in group]
        print(f"{profile:6} {size:5d} {mean('fast')} {mean('general')} {mean('ours')} {mean('ort1')} {mean('ort5')}"
              f" {statistics.mean(x['ratio'] for x in group):8.4f} {sum(x['worse'] for x in group):2d}/{len(group):<2d}"
              f" {statistics.mean(times):7.3f} {max(times):6.3f}")  # fmt: skip
    for profile in ("walk", "drive"):
        mine = [r for r in rows if r["profile"] == profile]
        gaps = [r["gaps"]["ours"] for r in mine]
        print(f"{profile}: ours mean gap {statistics.mean(gaps):.2f}% (max {max(gaps):.2f}%) from the best known"
              f" ({'PyVRP reference ' + str(REFERENCE_SECONDS) + ' s' if reference else 'no reference'});"
              f" OR-Tools 5 s mean gap {statistics.mean(r['gaps']['ort5'] for r in mine):.2f}%")  # fmt: skip
    worse = [r for r in rows if r["worse"]]
    which = ", ".join(f"{r['profile']} {r['size']} x{r['ratio']:.4f}" for r in worse) or "none"
    print(f"worse than OR-Tools 5 s on {len(worse)}/{len(rows)} draws ({100 * len(worse) / len(rows):.0f} %,"
          f" target <= 20 %): {which}")  # fmt: skip


def solomon() -> None:
    print("\n== Solomon VRPTW (distance x10, integers): VROOM vs PyVRP reference")
    try:
        venv = harness.peer_venv("routing-solomon", ["VRPSolverEasy", "vrplib"])
    except subprocess.CalledProcessError:
        print("  (skipped: the VRPSolverEasy/vrplib virtualenv could not be built)")
        return
    names = ["C101", "C201", "R101", "R201", "RC101", "RC201"] if QUICK else []
    out = subprocess.run(
        [str(venv / "bin" / "python"), str(PEERS / "solomon_read.py"), *names],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    instances = json.loads(out.stdout)
    from geo.routing.solver import SolverJob, SolverVehicle, solve

    problems, ours = [], []
    for inst in instances:
        xy = np.asarray(inst["coords"], dtype=float)
        matrix = np.rint(10 * np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
        windows = [(10 * a, 10 * b) for a, b in inst["windows"]]
        service = [10 * int(s) for s in inst["service"]]
        import vroom

        t = time.perf_counter()
        problem = vroom.Input()
        problem.set_durations_matrix("car", matrix)
        for v in range(inst["vehicles"]):
            problem.add_vehicle(vroom.Vehicle(v, start=0, end=0, capacity=[inst["capacity"]],
                                              time_window=vroom.TimeWindow(*windows[0]), max_distance=None))  # fmt: skip
        problem.add_job([vroom.Job(i, location=i, default_service=service[i], delivery=[int(inst["demand"][i])],
                                   time_windows=[vroom.TimeWindow(*windows[i])]) for i in range(1, len(xy))])  # fmt: skip
        sol = problem.solve(exploration_level=5, nb_threads=2)
        seconds = time.perf_counter() - t
        routes = sol.routes
        cost = 0
        for _vid, group in routes.groupby("vehicle_id"):
            locs = group["location_index"].astype(int).tolist()
            cost += sum(int(matrix[a, b]) for a, b in zip(locs, locs[1:], strict=False))
        ours.append((inst["name"], cost, len(sol.unassigned) == 0, seconds))
        problems.append({"matrix": matrix.tolist(), "service": service, "windows": windows, "demand": inst["demand"],
                         "capacity": inst["capacity"], "vehicles": inst["vehicles"]})  # fmt: skip
    _ = SolverJob, SolverVehicle, solve  # the mission path above uses the same wrapper
    reference = _reference(problems, REFERENCE_SECONDS / 3)
    gaps = []
    for i, (name, cost, feasible, seconds) in enumerate(ours):
        ref = reference[i]["cost"] if reference and reference[i]["feasible"] else None
        gap = (cost / ref - 1) * 100 if ref else float("nan")
        gaps.append(gap)
        print(f"{name:7} vroom {cost / 10:9.1f} {'ok ' if feasible else 'UNASSIGNED'} {seconds:6.2f} s"
              f"  ref {ref / 10 if ref else float('nan'):9.1f}  gap {gap:6.2f}%")  # fmt: skip
    real = [g for g in gaps if g == g]
    if real:
        print(f"Solomon: mean gap {statistics.mean(real):.2f}% (max {max(real):.2f}%) over {len(real)} instances"
              f" (target <= 2 %), feasible {sum(f for _, _, f, _ in ours)}/{len(ours)},"
              f" mean {statistics.mean(t for *_, t in ours):.2f} s")  # fmt: skip


def end_to_end(community_id: int) -> None:
    print("\n== End to end on the demo city (topology ready; no matrix cache)")
    rng = np.random.default_rng(7)
    for profile in ("walk", "drive"):
        totals = []
        for _ in range(3):
            sites = _sites(community_id, 101, rng)
            plan_ = _plan(community_id, sites[1:], sites[0], profile)
            totals.append(plan_.timings)
        best = min(totals, key=lambda t: t["total_s"])
        parts = ", ".join(f"{k[:-2]} {v * 1000:.0f} ms" for k, v in best.items() if k.endswith("_s"))
        print(f"100 stops, {profile}: {parts} (target total <= 3 s)")
        sites = _sites(community_id, 51, rng)
        t = time.perf_counter()
        # The order followed so far goes along: the stability check is part of the cost.
        plan_ = _plan(community_id, sites[1:], sites[0], profile, previous_order=tuple(range(1, 51)))
        print(f"re-optimise 50 remaining stops from an agent's position, {profile}:"
              f" {time.perf_counter() - t:.3f} s (target <= 1 s)")  # fmt: skip


def run() -> None:
    community_id = _setup()
    from geo.routing.topology import topology_ensure

    t = time.perf_counter()
    topology_ensure(community_id=community_id)
    print(f"topology ready in {time.perf_counter() - t:.2f} s")
    end_to_end(community_id)
    missions(community_id)
    solomon()


if __name__ == "__main__":
    run()
