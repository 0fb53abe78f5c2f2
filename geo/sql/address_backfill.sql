-- Give the rows of one table (with a geo_fill_address trigger) the address now nearest, where
-- the address is always computed, or looks computed, or is empty: a person's own words (a
-- citizen's "devant la mairie") are kept. {table} is an identifier from address_tables.sql.
UPDATE {table} t
SET address = n.address
FROM (
    SELECT id, geo_address_near(community_id, geom) AS address
    FROM {table}
    WHERE community_id = %(community_id)s AND (%(computed)s OR geo_address_is_auto(address))
) n
WHERE t.id = n.id AND t.address <> n.address;
