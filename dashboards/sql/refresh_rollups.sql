-- Rebuild the monthly rollups of community %(community)s from its facts (after DELETE of its
-- rollup rows, in the facts' rebuild transaction). Months in %(tz)s. See models.FactMonth,
-- SiteMonth, DelayMonth; the last two also at the grains quarter and year, summed from their
-- month rows (a few hundred thousand rows, not the facts again). Five statements.
INSERT INTO dashboards_factmonth (community_id, month, category_id, team_id, district_id, product,
                                  cleanings, returns, m2, minutes, agent_minutes, offensive, offensive_24h)
SELECT %(community)s, date_trunc('month', ended_at AT TIME ZONE %(tz)s)::date, category_id, team_id,
       district_id, product, count(*), count(*) FILTER (WHERE is_return), COALESCE(sum(surface_m2), 0),
       sum(minutes), sum(minutes * agents),
       count(*) FILTER (WHERE offensive AND reported_at IS NOT NULL),
       count(*) FILTER (WHERE offensive AND reported_at IS NOT NULL
                        AND ended_at <= reported_at + interval '24 hours')
FROM dashboards_cleaningfact
WHERE community_id = %(community)s
GROUP BY 2, 3, 4, 5, 6
ORDER BY 2;  -- a period's rows on neighbouring pages

INSERT INTO dashboards_sitemonth (community_id, grain, month, asset_id, category_id, team_id, district_id,
                                  street, cleanings, returns, m2, first_ended, last_ended,
                                  r7_first, r30_first, r90_first)
SELECT %(community)s, 'm', date_trunc('month', ended_at AT TIME ZONE %(tz)s)::date, asset_id, category_id,
       team_id, max(district_id), max(street), count(*), count(*) FILTER (WHERE is_return),
       COALESCE(sum(surface_m2), 0), min(ended_at), max(ended_at),
       min(ended_at) FILTER (WHERE next_at <= ended_at + interval '7 days'),
       min(ended_at) FILTER (WHERE next_at <= ended_at + interval '30 days'),
       min(ended_at) FILTER (WHERE next_at <= ended_at + interval '90 days')
FROM dashboards_cleaningfact
WHERE community_id = %(community)s AND asset_id IS NOT NULL
GROUP BY 3, 4, 5, 6
ORDER BY 3;

INSERT INTO dashboards_sitemonth (community_id, grain, month, asset_id, category_id, team_id, district_id,
                                  street, cleanings, returns, m2, first_ended, last_ended,
                                  r7_first, r30_first, r90_first)
SELECT s.community_id, g.grain, g.start, s.asset_id, s.category_id, s.team_id, max(s.district_id), max(s.street),
       sum(cleanings), sum(returns), sum(m2), min(first_ended), max(last_ended),
       min(r7_first), min(r30_first), min(r90_first)
FROM dashboards_sitemonth AS s
CROSS JOIN LATERAL (VALUES ('q', date_trunc('quarter', s.month)::date), ('y', date_trunc('year', s.month)::date))
    AS g(grain, start)
WHERE s.community_id = %(community)s AND s.grain = 'm'
GROUP BY s.community_id, g.grain, g.start, s.asset_id, s.category_id, s.team_id
ORDER BY g.grain, g.start;

INSERT INTO dashboards_delaymonth (community_id, grain, month, category_id, team_id, district_id, kind,
                                   bucket, n)
SELECT %(community)s, 'm', month, category_id, team_id, district_id, kind, bucket, count(*)
FROM (
    SELECT date_trunc('month', ended_at AT TIME ZONE %(tz)s)::date AS month, category_id, team_id,
           district_id, 0 AS kind, dashboards_delay_bucket(dashboards_retag_hours(next_at, ended_at)) AS bucket
    FROM dashboards_cleaningfact
    WHERE community_id = %(community)s AND next_at IS NOT NULL
    UNION ALL
    SELECT date_trunc('month', ended_at AT TIME ZONE %(tz)s)::date, category_id, team_id, district_id, 1,
           dashboards_delay_bucket(dashboards_report_hours(ended_at, reported_at))
    FROM dashboards_cleaningfact
    WHERE community_id = %(community)s AND reported_at IS NOT NULL
) AS d
GROUP BY 3, 4, 5, 6, 7, 8
ORDER BY 3;

INSERT INTO dashboards_delaymonth (community_id, grain, month, category_id, team_id, district_id, kind,
                                   bucket, n)
SELECT d.community_id, g.grain, g.start, d.category_id, d.team_id, d.district_id, d.kind, d.bucket, sum(d.n)
FROM dashboards_delaymonth AS d
CROSS JOIN LATERAL (VALUES ('q', date_trunc('quarter', d.month)::date), ('y', date_trunc('year', d.month)::date))
    AS g(grain, start)
WHERE d.community_id = %(community)s AND d.grain = 'm'
GROUP BY d.community_id, g.grain, g.start, d.category_id, d.team_id, d.district_id, d.kind, d.bucket
ORDER BY g.grain, g.start;
