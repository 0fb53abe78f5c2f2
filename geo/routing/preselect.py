"""Pick the jobs that can fit the shift before the street network is touched.

A dispatcher's zone may hold ten times what one agent can do in a day (916 jobs for ~90
that fit): snapping, the cost matrix and VROOM on all of them took 48 s on a real city
network. The planner first keeps a plausible superset of what fits, and only that goes
through the graph, the matrix and the solver; the others stay in the pool with a reason.

Order of choice (a dispatcher's order, not the solver's): jobs that must stay (the fixed
first stop, the round an agent already follows), then by priority (urgent first), offensive
content before the rest at equal priority, then within such a tier by cheapest insertion
into the round built so far (spatial clusters near the start come first), the older job
winning a tie. The estimate is a straight line times DETOUR at the mode's speed, plus the
jobs' service times; the kept set stays within SLACK x the agents' working time, so the
solver still has room to make the final choice. Once the cost matrix of that superset is
known, `refine` makes the same choice on the real travel times without slack, so that the
solver orders a round that fits rather than choosing among far too many jobs (slow).
Storage SRID (metres), seconds.
"""

from dataclasses import dataclass

import numpy as np

# Street distance / straight-line distance between two stops in a town (walking on a street
# grid ~1.3; one-way streets push driving higher).
DETOUR = 1.4
# The kept set may be estimated up to this multiple of the working time: the estimate is
# rough and the solver, not this module, decides the final round.
SLACK = 1.3
# `refine` fills this share of the working time on the real travel times: an insertion
# round that fits exactly leaves the solver (which may reorder, never worse than needed)
# no room, and it then drops jobs itself, urgent ones included.
REFINE_SHARE = 0.95
# Below this many jobs every job goes to the solver (it is fast enough there).
MIN_JOBS = 60

LEFT_IN_POOL = "left in the pool: the shift is already full with jobs of higher priority or closer together"


@dataclass(frozen=True)
class Candidate:
    key: int
    x: float
    y: float
    service_s: int
    priority: int = 0  # 0 … 100, higher first
    offensive: bool = False
    reported_at: float = 0.0  # epoch seconds: older first at equal cost
    must_keep: bool = False


def _greedy(
    candidates: list[Candidate], cost, start: int, end: int, budget: float
) -> tuple[np.ndarray, float]:
    """Which candidates fit `budget` (s), by tier then cheapest insertion, and the time (s,
    travel and service) the round built takes; `cost(u, v)` is the travel time between node
    arrays (candidate i is node i; `start`, `end` the round's ends)."""
    service = np.array([c.service_s for c in candidates], dtype=float)
    age = np.array([c.reported_at for c in candidates], dtype=float)
    everyone = np.arange(len(candidates))
    tour = [start, end]
    used = float(cost(np.array([start]), np.array([end]))[0])
    kept = np.zeros(len(candidates), dtype=bool)

    def column(a: int, b: int) -> np.ndarray:
        """What inserting each candidate between a and b adds to the travel."""
        a_, b_ = np.full(len(everyone), a), np.full(len(everyone), b)
        return cost(a_, everyone) + cost(everyone, b_) - cost(np.array([a]), np.array([b]))[0]

    # extra[i, e]: candidate i inserted in the tour's edge e (edges in tour order), kept up to
    # date at each insertion (two new columns) instead of recomputed: 900 jobs went 1 s -> 0.1 s.
    extras = column(start, end)[:, None]

    def added(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cheapest insertion cost of each node (service included) and where it goes."""
        extra = extras[nodes]
        at = extra.argmin(axis=1)
        return extra[np.arange(len(nodes)), at] + service[nodes], at

    tiers: dict[tuple[int, int, int], list[int]] = {}
    for index, c in enumerate(candidates):
        tiers.setdefault((0 if c.must_keep else 1, -c.priority, 0 if c.offensive else 1), []).append(index)
    for tier in sorted(tiers):
        waiting = np.array(tiers[tier])
        while len(waiting):
            extra, at = added(waiting)
            # Cheapest first; the older job wins a tie (costs rounded to the second).
            best = int(np.lexsort((age[waiting], np.rint(extra)))[0])
            if tier[0] == 1 and used + extra[best] > budget:
                break  # the cheapest addition of this tier does not fit: none does
            edge, node = int(at[best]), int(waiting[best])
            a, b = tour[edge], tour[edge + 1]
            tour.insert(edge + 1, node)
            extras = np.concatenate(
                (extras[:, :edge], column(a, node)[:, None], column(node, b)[:, None], extras[:, edge + 1 :]),
                axis=1,
            )
            used += float(extra[best])
            kept[waiting[best]] = True
            waiting = np.delete(waiting, best)
    return kept, used


def _split(candidates: list[Candidate], kept: np.ndarray) -> tuple[list[int], dict[int, str]]:
    keys = [c.key for c, k in zip(candidates, kept, strict=True) if k]
    left = {c.key: LEFT_IN_POOL for c, k in zip(candidates, kept, strict=True) if not k}
    return keys, left


def preselect(
    *,
    candidates: list[Candidate],
    start: tuple[float, float],
    end: tuple[float, float] | None,
    working_s: int,
    agents: int,
    speed_m_s: float,
) -> tuple[list[int], dict[int, str]]:
    """(keys kept, {key: reason} for the others), on straight lines: before the network."""
    if len(candidates) <= MIN_JOBS:
        return [c.key for c in candidates], {}
    kept, _ = _on_straight_lines(
        candidates, start, end, speed_m_s, SLACK * max(agents, 1) * max(working_s, 0)
    )
    return _split(candidates, kept)


def _on_straight_lines(
    candidates: list[Candidate],
    start: tuple[float, float],
    end: tuple[float, float] | None,
    speed_m_s: float,
    budget: float,
) -> tuple[np.ndarray, float]:
    """_greedy with travel times on straight lines x DETOUR (end None: back to the start)."""
    n = len(candidates)
    xy = np.array([[c.x, c.y] for c in candidates] + [start, end if end is not None else start], dtype=float)
    seconds_per_m = DETOUR / speed_m_s

    def cost(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.hypot(xy[u, 0] - xy[v, 0], xy[u, 1] - xy[v, 1]) * seconds_per_m

    return _greedy(candidates, cost, n, n + 1, budget)


@dataclass(frozen=True)
class FitEstimate:
    """What the board says before a mission exists: how many jobs fit the agents' time."""

    fit: int
    total: int
    service_s: int  # time on site of the jobs that fit
    travel_s: int  # their round's travel, estimated on straight lines x DETOUR


def estimate(
    *,
    candidates: list[Candidate],
    start: tuple[float, float],
    end: tuple[float, float] | None,
    working_s: int,
    agents: int,
    speed_m_s: float,
) -> FitEstimate:
    """How many of `candidates` fit the agents' working time (s), before any street is read:
    the choice `refine` makes (priority first, then cheapest insertion, REFINE_SHARE of the
    time), on straight lines. One round per agent, each on what the rounds before left:
    one round of the agents' summed time promised 251 jobs for two agents where one did 100."""
    fit = service = travel = 0
    remaining = list(candidates)
    for _ in range(max(agents, 1)):
        if not remaining:
            break
        kept, used = _on_straight_lines(remaining, start, end, speed_m_s, REFINE_SHARE * max(working_s, 0))
        if not kept.any():
            break
        done = sum(c.service_s for c, k in zip(remaining, kept, strict=True) if k)
        fit, service, travel = fit + int(kept.sum()), service + done, travel + max(int(round(used)) - done, 0)
        remaining = [c for c, k in zip(remaining, kept, strict=True) if not k]
    return FitEstimate(fit, len(candidates), service, travel)


def refine(
    *,
    candidates: list[Candidate],
    nodes: list[int],
    durations: np.ndarray,
    start: int,
    end: int | None,
    working_s: int,
    agents: int,
) -> tuple[list[int], dict[int, str]]:
    """The same choice again on the street network's travel times (s), without slack: what
    the solver gets then fits as built, so it orders the round instead of choosing among
    far more jobs than fit (VROOM took 34 s for 300 candidates of which 110 fit).
    `nodes[i]` is candidate i's index in `durations`; `end` None: an open round."""
    index = np.array([*nodes, start, end if end is not None else start])
    matrix = durations[np.ix_(index, index)].astype(float)
    if end is None:
        matrix[:, -1] = 0.0
    n = len(candidates)

    def cost(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return matrix[u, v]

    budget = REFINE_SHARE * max(agents, 1) * max(working_s, 0)
    kept, _ = _greedy(candidates, cost, n, n + 1, budget)
    return _split(candidates, kept)
