-- Replace one community's street network with the staged segments (storage SRID) that touch
-- its territory. Lengths in metres on the ellipsoid (geography), not in projected units.
-- Returns (kept, outside).
WITH gone AS (
    DELETE FROM geo_streetsegment WHERE community_id = %(community_id)s
),
t AS (
    SELECT territory FROM accounts_community WHERE id = %(community_id)s
),
inside AS (
    SELECT s.*, ST_Length(ST_Transform(s.geom, 4326)::geography) AS length_m  -- computed once
    FROM streets_staging s, t
    WHERE ST_Intersects(s.geom, t.territory)
),
kept AS (
    INSERT INTO geo_streetsegment (community_id, name, highway, kind, oneway, length_m, external_id, geom)
    SELECT %(community_id)s, s.name, s.highway, s.kind, s.oneway, s.length_m, s.external_id, s.geom
    FROM inside s
    WHERE s.length_m > 0
    ORDER BY s.idx
    RETURNING 1
)
SELECT (SELECT count(*) FROM kept), (SELECT count(*) FROM streets_staging) - (SELECT count(*) FROM kept);
