-- The snaps made by routing_snap.sql, with the snapped position (storage SRID).
SELECT pt.pid, pt.edge_id, pt.fraction, pt.side, pt.distance,
       ST_X(ST_LineInterpolatePoint(e.geom, pt.fraction)), ST_Y(ST_LineInterpolatePoint(e.geom, pt.fraction))
FROM ronde_route_points AS pt
JOIN ronde_route_edges AS e ON e.id = pt.edge_id
ORDER BY pt.pid
