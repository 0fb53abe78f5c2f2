-- The same BAN id on lines that are not the same address (number, suffix, street or commune
-- differ): (id, lines), a few of them. Lines that agree are positions of one address (see
-- address_positions.sql), not duplicates.
SELECT ban_id, array_agg(line ORDER BY line)
FROM address_staging
WHERE ban_id <> ''
GROUP BY ban_id
HAVING count(DISTINCT (number, suffix, street, insee)) > 1
ORDER BY min(line)
LIMIT 5;
