-- Street lines inside a box (storage SRID, metres), simplified to %(tolerance_m)s metres
-- for the mission sheet's map; at most %(limit)s segments, longest first.
SELECT ST_AsText(ST_Simplify(seg.geom, %(tolerance_m)s)), seg.highway
FROM geo_streetsegment seg
WHERE seg.community_id = %(community_id)s
  AND seg.geom && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, %(srid)s)
ORDER BY seg.length_m DESC NULLS LAST
LIMIT %(limit)s
