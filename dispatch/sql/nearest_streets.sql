-- Name of the nearest named street segment to each point, within %(max_m)s metres.
-- Input: parallel arrays of keys and coordinates in the storage SRID (Lambert-93, metres).
-- The LATERAL + ORDER BY <-> uses the street_segment_geom_gist index (KNN).
SELECT p.key, s.name
FROM unnest(%(keys)s::bigint[], %(xs)s::float8[], %(ys)s::float8[]) AS p(key, x, y)
CROSS JOIN LATERAL (
    SELECT seg.name
    FROM geo_streetsegment seg
    WHERE seg.community_id = %(community_id)s
      AND seg.name <> ''
      AND ST_DWithin(seg.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), %(srid)s), %(max_m)s)
    ORDER BY seg.geom <-> ST_SetSRID(ST_MakePoint(p.x, p.y), %(srid)s)
    LIMIT 1
) AS s
