-- Before address_replace.sql: remove the community's addresses of the communes (INSEE codes)
-- and BAN ids present in the staged file, so that loading the same file twice, or one file per
-- commune, never duplicates. (In one statement with the INSERT, the unique BAN id index would
-- still see the deleted rows.) Returns the number removed.
WITH gone AS (
    DELETE FROM geo_address a
    WHERE a.community_id = %(community_id)s
      AND (a.insee IN (SELECT DISTINCT insee FROM address_staging)
           OR a.ban_id IN (SELECT ban_id FROM address_staging WHERE ban_id <> ''))
    RETURNING 1
)
SELECT count(*) FROM gone;
