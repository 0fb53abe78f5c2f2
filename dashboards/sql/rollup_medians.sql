-- Exact medians (percentile_cont(0.5), as kpis.sql and by_zone.sql compute them) of the re-tag
-- delay (kind 0, days) and of the report-to-cleaning delay (kind 1, hours), for a period of
-- whole months, overall (grp 0) or per district (%(by_district)s: grp = district id), and of the
-- facts of its last days [%(tail_from)s, %(tail_to)s) when it ends mid-month (rollup_kpis.sql).
-- The monthly histograms (models.DelayMonth) locate the bucket of each middle rank; only
-- that bucket's facts are read (expression indexes cleaningfact_*_bucket) and sorted.
WITH h AS (
    SELECT grp, kind, bucket, sum(n) AS n
    FROM (
        SELECT CASE WHEN %(by_district)s THEN district_id ELSE 0 END AS grp, kind, bucket, n
        FROM dashboards_delaymonth
        WHERE community_id = %(community)s AND grain = %(grain)s
          AND month >= %(month_from)s AND month < %(month_to)s
          AND (%(categories)s::bigint[] IS NULL OR category_id = ANY (%(categories)s::bigint[]))
          AND (%(team)s::bigint IS NULL OR team_id = %(team)s::bigint)
          AND (%(zone)s::bigint IS NULL OR district_id = %(zone)s::bigint)
          AND (NOT %(by_district)s OR district_id IS NOT NULL)
        UNION ALL  -- the last days of a period ending mid-month, bucketed as refresh_rollups.sql does
        SELECT CASE WHEN %(by_district)s THEN d.district_id ELSE 0 END, d.kind, d.bucket, 1
        FROM (
            SELECT district_id, category_id, team_id, 0 AS kind,
                   dashboards_delay_bucket(dashboards_retag_hours(next_at, ended_at)) AS bucket
            FROM dashboards_cleaningfact
            WHERE community_id = %(community)s AND next_at IS NOT NULL
              AND ended_at >= %(tail_from)s::timestamptz AND ended_at < %(tail_to)s::timestamptz
            UNION ALL
            SELECT district_id, category_id, team_id, 1,
                   dashboards_delay_bucket(dashboards_report_hours(ended_at, reported_at))
            FROM dashboards_cleaningfact
            WHERE community_id = %(community)s AND reported_at IS NOT NULL
              AND ended_at >= %(tail_from)s::timestamptz AND ended_at < %(tail_to)s::timestamptz
        ) AS d
        WHERE (%(categories)s::bigint[] IS NULL OR d.category_id = ANY (%(categories)s::bigint[]))
          AND (%(team)s::bigint IS NULL OR d.team_id = %(team)s::bigint)
          AND (%(zone)s::bigint IS NULL OR d.district_id = %(zone)s::bigint)
          AND (NOT %(by_district)s OR d.district_id IS NOT NULL)
    ) AS months_and_tail
    GROUP BY 1, 2, 3
), c AS (
    SELECT grp, kind, bucket, n,
           sum(n) OVER (PARTITION BY grp, kind ORDER BY bucket) - n AS before,
           sum(n) OVER (PARTITION BY grp, kind) AS total
    FROM h
), picks AS (  -- the 0-based middle ranks (one when the count is odd, two when even)
    SELECT DISTINCT c.grp, c.kind, c.bucket, r.rank - c.before AS off, r.rank
    FROM c
    CROSS JOIN LATERAL (VALUES (floor((c.total - 1) / 2.0)::bigint), (ceil((c.total - 1) / 2.0)::bigint)) AS r(rank)
    WHERE r.rank >= c.before AND r.rank < c.before + c.n
), bounds AS (
    SELECT %(date_from)s::timestamptz AS t0, %(date_to)s::timestamptz AS t1
), vals AS (
    SELECT p.grp, p.kind, p.rank, v.value  -- days
    FROM picks AS p, bounds AS b
    CROSS JOIN LATERAL (
        SELECT date_part('epoch', f.next_at - f.ended_at) / 86400.0 AS value  -- as kpis.sql
        FROM dashboards_cleaningfact AS f
        WHERE f.community_id = %(community)s AND f.next_at IS NOT NULL
          AND dashboards_delay_bucket(dashboards_retag_hours(f.next_at, f.ended_at)) = p.bucket
          AND f.ended_at >= b.t0 AND f.ended_at < b.t1
          AND (%(categories)s::bigint[] IS NULL OR f.category_id = ANY (%(categories)s::bigint[]))
          AND (%(team)s::bigint IS NULL OR f.team_id = %(team)s::bigint)
          AND (%(zone)s::bigint IS NULL OR f.district_id = %(zone)s::bigint)
          AND (NOT %(by_district)s OR f.district_id = p.grp)
        ORDER BY 1 OFFSET p.off LIMIT 1
    ) AS v
    WHERE p.kind = 0
    UNION ALL
    SELECT p.grp, p.kind, p.rank, v.value  -- hours
    FROM picks AS p, bounds AS b
    CROSS JOIN LATERAL (
        SELECT date_part('epoch', f.ended_at - f.reported_at) / 3600.0 AS value
        FROM dashboards_cleaningfact AS f
        WHERE f.community_id = %(community)s AND f.reported_at IS NOT NULL
          AND dashboards_delay_bucket(dashboards_report_hours(f.ended_at, f.reported_at)) = p.bucket
          AND f.ended_at >= b.t0 AND f.ended_at < b.t1
          AND (%(categories)s::bigint[] IS NULL OR f.category_id = ANY (%(categories)s::bigint[]))
          AND (%(team)s::bigint IS NULL OR f.team_id = %(team)s::bigint)
          AND (%(zone)s::bigint IS NULL OR f.district_id = %(zone)s::bigint)
          AND (NOT %(by_district)s OR f.district_id = p.grp)
        ORDER BY 1 OFFSET p.off LIMIT 1
    ) AS v
    WHERE p.kind = 1
)
SELECT grp, kind, avg(value) FROM vals GROUP BY grp, kind;
