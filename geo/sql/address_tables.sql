-- The tables whose rows carry a human address filled on write (the geo_fill_address trigger),
-- each app's migration adding its own trigger; `computed`: the trigger's argument says that
-- the address is always computed (else a person may have written it).
SELECT DISTINCT c.relname, encode(tr.tgargs, 'escape') LIKE 'computed%%'
FROM pg_trigger tr
JOIN pg_class c ON c.oid = tr.tgrelid
WHERE tr.tgfoid = 'geo_fill_address'::regproc AND NOT tr.tgisinternal
ORDER BY c.relname;
