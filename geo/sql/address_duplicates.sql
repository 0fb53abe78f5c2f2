-- The same BAN id on two lines of the file: (id, lines), a few of them.
SELECT ban_id, array_agg(line ORDER BY line)
FROM address_staging
WHERE ban_id <> ''
GROUP BY ban_id
HAVING count(*) > 1
ORDER BY min(line)
LIMIT 5;
