-- Rebuild a community's street names for the search box: one per street of its addresses
-- (per commune), then one per named street of the routing network that no address names.
-- The position is the street's own point nearest to its centre (storage SRID).
DELETE FROM geo_streetname WHERE community_id = %(community_id)s;

INSERT INTO geo_streetname (community_id, name, postcode, commune, source, street_key, search, core, geom)
SELECT %(community_id)s, min(a.street), min(a.postcode), min(a.commune), 'ban', a.street_key,
       geo_street_key(min(a.street) || ' ' || min(a.commune)),
       geo_street_core(min(a.street) || ' ' || min(a.commune)),
       ST_ClosestPoint(ST_Collect(a.geom), ST_Centroid(ST_Collect(a.geom)))
FROM geo_address a
WHERE a.community_id = %(community_id)s
GROUP BY a.street_key;

INSERT INTO geo_streetname (community_id, name, postcode, commune, source, street_key, search, core, geom)
SELECT %(community_id)s, min(s.name), '', '', 'network', geo_street_key(s.name) || '|',
       geo_street_key(min(s.name)),
       geo_street_core(min(s.name)),
       ST_ClosestPoint(ST_Collect(s.geom), ST_Centroid(ST_Collect(s.geom)))
FROM geo_streetsegment s
WHERE s.community_id = %(community_id)s AND s.name <> ''
  AND geo_street_key(s.name) <> ''
  AND NOT EXISTS (
      SELECT 1 FROM geo_streetname n
      WHERE n.community_id = %(community_id)s AND n.source = 'ban'
        AND split_part(n.street_key, '|', 1) = geo_street_key(s.name)
  )
GROUP BY geo_street_key(s.name);

