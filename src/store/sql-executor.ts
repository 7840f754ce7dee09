import { CompiledQuery, type Kysely } from 'kysely';
import type { SqlExecutor } from '../ports/job-queue.js';

/** Raw SQL on a Kysely connection or transaction, in the shape pg-boss takes to join the caller's transaction. */
export function sqlExecutor<DB>(db: Kysely<DB>): SqlExecutor {
  return {
    async executeSql(text, values) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows as unknown[] };
    },
  };
}
