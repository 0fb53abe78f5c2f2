-- The 10M-intervention bench database (benchmarks/heatmap_10m.py): nine clones of every
-- intervention seeded by `seed_demo --scale 100` (1M), one block of the heap at a time.
-- Why not `seed_demo --scale 1000`: measured at ~2.2 s and ~21 MB of client memory per scale
-- unit on this 2-core machine, i.e. ~40 min and ~21 GB; this statement builds the 9M extra
-- rows in a few minutes, as real rows that the app's loader and SQL binning read.
--
-- Clone k (1…9) of row s: the same category, team, asset (site), status, dates and surface,
-- moved by a deterministic 0.5–4 m (storage SRID units: metres in Lambert-93, checked by the
-- caller) in a direction drawn from (s.id, k): the same wall or street corner, as a town
-- with ten times the work would have it. Not cloned: the external id and client UUID
-- (unique), the mission and report links, the agents (no heatmap reads them).
--
-- The source heap is in spatial order (seed_demo CLUSTERs it on the EPSG:3857 GiST index);
-- reading it by ctid ranges and writing each row's clones next to each other keeps the new
-- rows in that order, so a tile's rows lie in two heap regions, not in ten.
-- Parameters: %(community)s, %(last_id)s (the highest seeded id: clones are never cloned),
-- %(lo)s, %(hi)s (tids '(block,0)': the heap blocks [lo, hi)).
INSERT INTO interventions_intervention (
    status, not_done_reason, support, surface_m2, method, product, offensive, priority, notes,
    planned_date, started_at, ended_at, external_id, client_uuid, geom, created_at, updated_at,
    asset_id, category_id, community_id, team_id, mission_id, report_id, deleted_at, deleted_by_id
)
SELECT s.status, s.not_done_reason, s.support, s.surface_m2, s.method, s.product, s.offensive,
       s.priority, s.notes, s.planned_date, s.started_at, s.ended_at, '', NULL,
       ST_Translate(s.geom,
                    (0.5 + 3.5 * ((s.id * 104723 + k * 7907) %% 997) / 997.0)
                        * cos(2 * pi() * ((s.id * 7919 + k * 104729) %% 1000) / 1000.0),
                    (0.5 + 3.5 * ((s.id * 104723 + k * 7907) %% 997) / 997.0)
                        * sin(2 * pi() * ((s.id * 7919 + k * 104729) %% 1000) / 1000.0)),
       s.created_at, s.updated_at, s.asset_id, s.category_id, s.community_id, s.team_id,
       NULL, NULL, s.deleted_at, s.deleted_by_id
FROM interventions_intervention AS s
CROSS JOIN generate_series(1, 9) AS k
WHERE s.community_id = %(community)s
  AND s.id <= %(last_id)s
  AND s.ctid >= %(lo)s::tid
  AND s.ctid < %(hi)s::tid
ORDER BY s.ctid, k;
