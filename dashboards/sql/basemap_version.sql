-- A fingerprint of what the dashboard's base map draws of a community's streets, from one scan
-- of its segments without reading a geometry (0.7 ms for 1,258 segments; reading them, 14 ms):
-- streets are written by geo/sql/streets_replace.sql, which deletes and inserts (new ids), so
-- every import changes it. The rendered maps are kept per worker under it (dashboards/maps.py
-- maps_kept).
SELECT concat_ws(
    ':',
    count(*),
    coalesce(max(id), 0),
    round(coalesce(sum(length_m), 0)::numeric, 3),
    coalesce(sum(hashtext(name || '|' || highway)::bigint), 0)
) AS version
FROM geo_streetsegment
WHERE community_id = %(community)s;
