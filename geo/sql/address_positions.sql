-- A BAL writes one line per position of an address (entrance, building, postal delivery…),
-- all with its cle_interop: keep the first line of each address and drop the others, after
-- address_duplicates.sql found no id shared by different addresses. Returns the number dropped.
WITH extra AS (
    DELETE FROM address_staging s
    USING address_staging first
    WHERE s.ban_id <> ''
      AND first.ban_id = s.ban_id
      AND first.line < s.line
    RETURNING s.line
)
SELECT count(DISTINCT line) FROM extra;
