-- Issue 25 item 5 (word-prefix search): each message's search_terms now also hold the prefixes
-- of its words (mee*, meet*, ...), about twice the elements per row. With the default statistics
-- target, ANALYZE keeps only the most common elements, so every term it did not keep, a rare
-- word included, is estimated at 0.5 % of the messages; the planner then walks messages newest
-- first and filters, reading ~10,000 rows per page for a word in 0.1 % of them, instead of
-- looking the term up in messages_search_terms_idx. A target of 1000 keeps ten times as many
-- element frequencies (and samples 300,000 rows). The prefix terms of existing messages are added
-- by a background job, not here (src/services/search-prefix-backfill.ts): a migration runs in one
-- transaction at start, so it could not bound its batches.
ALTER TABLE "messages" ALTER COLUMN "search_terms" SET STATISTICS 1000;
