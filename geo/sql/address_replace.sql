-- Insert the staged addresses inside the community's territory (storage SRID), after
-- address_delete.sql. Returns (kept, outside).
WITH placed AS (
    SELECT s.*,
           CASE WHEN s.lon IS NOT NULL AND s.lat IS NOT NULL
                THEN ST_Transform(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), %(srid)s)
                ELSE ST_Transform(ST_SetSRID(ST_MakePoint(s.x, s.y), %(xy_srid)s), %(srid)s)
           END AS geom
    FROM address_staging s
),
t AS (
    SELECT territory FROM accounts_community WHERE id = %(community_id)s
),
kept AS (
    INSERT INTO geo_address (community_id, ban_id, number, suffix, street, postcode, commune, insee,
                             label, street_key, geom)
    SELECT %(community_id)s, p.ban_id, p.number, p.suffix, p.street, p.postcode, p.commune, p.insee,
           left(p.number::text || CASE WHEN p.suffix <> '' THEN ' ' || p.suffix ELSE '' END
                || ' ' || p.street, 240),
           geo_street_key(p.street) || '|' || p.insee,
           p.geom
    FROM placed p, t
    WHERE ST_Intersects(p.geom, t.territory)
    ORDER BY p.line
    RETURNING 1
)
SELECT (SELECT count(*) FROM kept),
       (SELECT count(*) FROM address_staging) - (SELECT count(*) FROM kept);
