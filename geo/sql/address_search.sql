-- The search box: streets whose distinctive words (geo_street_core: no "rue", "de", "la"…)
-- are like the query's, typos and accents forgiven (pg_trgm word similarity, GIN index), ranked
-- on their whole name and commune; then the address with the query's number on the best of
-- them. Positions in EPSG:4326.
-- Parameters: community_id, q (the words, without the number), number (or NULL), suffix, limit.
WITH q AS (
    SELECT geo_street_key(%(q)s) AS text,
           coalesce(nullif(geo_street_core(%(q)s), ''), geo_street_key(%(q)s)) AS core
),
candidates AS MATERIALIZED (
    -- Ranked first on the distinctive words alone (short texts: the cheap comparison runs on
    -- every candidate), the best 40 then on the whole name and commune.
    SELECT n.name, n.postcode, n.commune, n.street_key, n.geom, n.search
    FROM geo_streetname n, q
    WHERE n.community_id = %(community_id)s AND q.core <%% n.core
    ORDER BY word_similarity(q.core, n.core) DESC, length(n.core)
    LIMIT 40
),
streets AS MATERIALIZED (  -- read twice below, computed once
    SELECT c.name, c.postcode, c.commune, c.street_key, c.geom,
           word_similarity(q.text, c.search) AS score
    FROM candidates c, q
    ORDER BY score DESC, length(c.search), c.name
    LIMIT 20
),
numbered AS (
    SELECT 'address' AS kind, a.label, a.postcode, a.commune, a.geom, s.score,
           (a.suffix = %(suffix)s) AS exact
    FROM streets s
    JOIN geo_address a
      ON a.community_id = %(community_id)s AND a.street_key = s.street_key AND a.number = %(number)s
)
SELECT kind, label, postcode, commune, ST_X(p), ST_Y(p)
FROM (
    SELECT kind, label, postcode, commune, ST_Transform(geom, 4326) AS p, score, exact, 0 AS rank
    FROM numbered
    UNION ALL
    SELECT 'street', name, postcode, commune, ST_Transform(geom, 4326), score, false, 1
    FROM streets
) hits
ORDER BY score DESC, rank, exact DESC, label
LIMIT %(limit)s;
