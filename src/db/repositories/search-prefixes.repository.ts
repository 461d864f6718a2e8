import { sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { MAX_PREFIX, MIN_PREFIX, PREFIX_MARK } from '../search-terms.js';
import { queryRows } from '../sql.js';

/**
 * The prefix terms of messages stored before word-prefix search: derived in SQL from the words
 * already in search_terms, exactly as searchTerms() derives them in TypeScript (the prefixes of
 * MIN_PREFIX..MAX_PREFIX code points of each word shorter than the word, marked with `*`; CJK
 * terms are one or two characters, too short to give any).
 */
export class SearchPrefixesRepository {
  constructor(private readonly db: Db) {}

  /**
   * Adds the missing prefix terms to the next `limit` messages by id after `afterId` (null: from
   * the start), in one statement; rows that have them already are not written. Returns the last
   * id looked at (null when there was none: the end) and how many rows were written.
   */
  async backfillBatch(afterId: string | null, limit: number, untilId: string): Promise<{ lastId: string | null; updated: number }> {
    const [row] = await queryRows<{ last_id: string | null; updated: number | string }>(
      this.db,
      sql`WITH batch AS (
            SELECT id FROM messages WHERE ${afterId ? sql`id > ${afterId}::uuid AND ` : sql``}id <= ${untilId}::uuid ORDER BY id LIMIT ${limit}
          ), filled AS (
            SELECT m.id, ARRAY(
              SELECT t FROM unnest(m.search_terms) AS t
              UNION
              SELECT left(w, n) || ${PREFIX_MARK}
                FROM unnest(m.search_terms) AS w, generate_series(${MIN_PREFIX}::int, least(char_length(w) - 1, ${MAX_PREFIX}::int)) AS n
               WHERE right(w, 1) <> ${PREFIX_MARK}
            ) AS terms
            FROM messages m JOIN batch USING (id)
            WHERE m.deleted_at IS NULL AND cardinality(m.search_terms) > 0
          ), written AS (
            UPDATE messages m SET search_terms = filled.terms FROM filled
             WHERE m.id = filled.id AND NOT (m.search_terms @> filled.terms)
            RETURNING 1
          )
          SELECT (SELECT id FROM batch ORDER BY id DESC LIMIT 1)::text AS last_id, (SELECT count(*) FROM written) AS updated`,
    );
    return { lastId: row?.last_id ?? null, updated: Number(row?.updated ?? 0) };
  }
}
