-- by_street.sql from the monthly rollups (period of whole months; district or no zone filter).
SELECT street, count(DISTINCT asset_id) AS sites, sum(cleanings), sum(returns), sum(m2)
FROM dashboards_sitemonth
WHERE community_id = %(community)s AND grain = %(grain)s AND month >= %(month_from)s AND month < %(month_to)s
  AND street <> ''
  AND (%(categories)s::bigint[] IS NULL OR category_id = ANY (%(categories)s::bigint[]))
  AND (%(team)s::bigint IS NULL OR team_id = %(team)s::bigint)
  AND (%(zone)s::bigint IS NULL OR district_id = %(zone)s::bigint)
GROUP BY street
ORDER BY 4 DESC, 3 DESC, street
LIMIT %(limit)s;
