-- The community's streets for the dashboard's base map (Leaflet draws them under the heatmap):
-- one line per street name and road class, merged and simplified by 2 m (Lambert-93 metres),
-- in EPSG:4326 with 6 decimals (~0.1 m). Unnamed segments are drawn, grouped per class.
SELECT s.name, coalesce(nullif(s.highway, ''), 'unclassified') AS highway,
       ST_AsGeoJSON(ST_Transform(ST_Simplify(ST_LineMerge(ST_Collect(s.geom)), 2), 4326), 6) AS geojson
FROM geo_streetsegment AS s
WHERE s.community_id = %(community)s
GROUP BY s.name, coalesce(nullif(s.highway, ''), 'unclassified')
LIMIT %(limit)s;
