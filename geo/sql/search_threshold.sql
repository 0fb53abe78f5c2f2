-- The pg_trgm word similarity threshold of the `<%%` operator, for this transaction only.
SELECT set_config('pg_trgm.word_similarity_threshold', %(threshold)s, true);
