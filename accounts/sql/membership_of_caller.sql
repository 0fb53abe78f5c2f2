-- The caller's membership with its user and community, in one row: every authenticated request
-- runs this (accounts.selectors.membership_get_for_token / membership_get_for_user).
-- {membership}, {user}, {community}: the models' column lists, filled in once per process; the
-- community's territory is left out (a large MultiPolygon only a few views need: it loads lazily).
-- The oldest membership first, unless %(slug)s names the community.
-- Workers remember this answer for cached tiles until one of these tables changes: a table
-- added here needs its trigger in tiles/sql/hit_notify.sql (a test checks).
SELECT {membership}, {user}, {community}
FROM accounts_membership m
JOIN accounts_user u ON u.id = m.user_id
JOIN accounts_community c ON c.id = m.community_id
-- Either %(user_id)s or %(key)s (an API token's digest, accounts.models.token_digest) is given;
-- an expired token matches no row (the caller then tells "expired" apart, for its 401).
-- No "x IS NULL OR ..." conditions: a prepared statement then gets one generic plan, with no planning per request (tiles/hit_shortcut.py).
WHERE u.is_active
  AND u.id = COALESCE(%(user_id)s::bigint, (SELECT t.user_id FROM accounts_apitoken t
                                            WHERE t.key_hash = %(key)s::text AND t.expires_at > now()))
  AND c.slug = COALESCE(%(slug)s::text, c.slug)
ORDER BY m.created_at, m.id
LIMIT 1
