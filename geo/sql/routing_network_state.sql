-- A cheap fingerprint of one community's routable network (one index-free scan): it
-- changes when a segment is added, removed, lengthened, re-kinded, made one-way or when
-- the topology is rebuilt. `stale` counts segments the topology does not cover yet
-- (source/target nulled by the geo_streetsegment_topology_stale trigger). Params: community_id.
SELECT
    count(*) FILTER (WHERE source IS NULL OR target IS NULL) AS stale,
    concat_ws(
        ':',
        count(*),
        coalesce(max(id), 0),
        round(coalesce(sum(length_m), 0)::numeric, 3),
        coalesce(sum(source), 0),
        coalesce(sum(target), 0),
        count(*) FILTER (WHERE oneway),
        coalesce(sum(hashtext(kind)::bigint), 0)
    ) AS version
FROM geo_streetsegment
WHERE community_id = %(community_id)s
