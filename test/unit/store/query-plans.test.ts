import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, type CompiledQuery, Kysely, SqliteDialect } from 'kysely';
import { recordCard, recordCards } from '../../../src/card/record-card.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { createRepositories } from '../../../src/store/repositories/index.js';
import type { Database } from '../../../src/store/schema.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { tempDir } from '../../helpers/temp-dir.js';

/**
 * The lookups a webhook burst makes (record cards, workflow callbacks, the inbox, erasure) must each use an
 * index: on a store of hundreds of MB a full scan blocks the process for hundreds of milliseconds. Asserted on
 * SQLite's query plans of the SQL the repositories actually run, not on timings.
 */
describe('hot store queries use an index on SQLite', () => {
  const dir = tempDir();
  const path = join(dir.path, 'plans.db');
  const clock = new FixedClock();
  let sqlite: BetterSqlite3.Database;
  let db: Kysely<Database>;
  const captured: CompiledQuery[] = [];

  beforeAll(async () => {
    const store = await openStore({ kind: 'sqlite', path }, { clock });
    await store.migrate();
    await store.close();
    sqlite = new BetterSqlite3(path);
    db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: sqlite }),
      plugins: [new CamelCasePlugin()],
      log: (event) => {
        if (event.level === 'query') captured.push(event.query);
      },
    });
  });
  afterAll(async () => {
    await db.destroy();
    dir.remove();
  });

  /** The plan lines of every query `fn` ran that read a whole table. */
  async function fullScans(
    fn: (repos: ReturnType<typeof createRepositories>) => Promise<unknown>,
    options: { tenantSearch?: boolean } = {},
  ): Promise<string[]> {
    captured.length = 0;
    await fn(createRepositories(db, clock, 'sqlite'));
    expect(captured.length).toBeGreaterThan(0);
    const scans: string[] = [];
    for (const query of captured) {
      const plan = sqlite.prepare(`explain query plan ${query.sql}`).all(...(query.parameters as unknown[])) as Array<{
        detail: string;
      }>;
      // A whole-table scan; with `tenantSearch`, also a search on the tenant alone (all its rows: a scan at
      // portal scale).
      for (const { detail } of plan)
        if (/^SCAN \w+( AS \w+)?$/.test(detail) || (options.tenantSearch && /\(tenant_id=\?\)$/.test(detail)))
          scans.push(`${detail} in: ${query.sql.slice(0, 120)}`);
    }
    return scans;
  }

  it('reads a record card by run id and record', async () => {
    const runId = await createRepositories(db, clock, 'sqlite').runs.start('t', 'cycle', 'test');
    await db.insertInto('runArtifacts').values({ tenantId: 't', runId, name: 'health', payload: '{}' }).execute();
    expect(await fullScans((repos) => recordCard(repos as unknown as Store, 't', 'contact', '101'))).toEqual([]);
    expect(
      await fullScans((repos) => recordCards(repos as unknown as Store, 't', 'contact', ['101', '102', '103'])),
    ).toEqual([]);
  });

  it('finds the workflow callbacks a run can complete, and the pending ones', async () => {
    expect(
      await fullScans(async (repos) => {
        await repos.callbacks.ready('t', 'run-1');
        await repos.callbacks.pending('t');
      }),
    ).toEqual([]);
  });

  it("reads a tenant's pending webhook events and tombstones", async () => {
    expect(
      await fullScans(async (repos) => {
        await repos.inbox.pendingFor('t', 100);
        await repos.privacy.tombstoned('t', 'contact', ['1', '2']);
      }),
    ).toEqual([]);
  });

  it('reads a recompute neighbourhood by id: links from either end, line items and stage history of deals', async () => {
    expect(
      await fullScans(
        async (repos) => {
          await repos.records.associationsOf('t', 'deal', ['d1', 'd2']);
          await repos.records.associationsOf('t', 'contact', ['c1']);
          await repos.records.pruneAssociationsTo('t', 'contact', 'deal', ['d1'], []);
          await repos.records.lineItemsOfDeals('t', ['d1', 'd2']);
          await repos.records.stageHistoryOf('t', ['d1', 'd2']);
          await repos.records.idsOfCompanies('t', 'contact', ['co1']);
          await repos.records.idsOfCompanies('t', 'deal', ['co1']);
        },
        { tenantSearch: true },
      ),
    ).toEqual([]);
  });

  it('erases a record without scanning any table', async () => {
    expect(await fullScans((repos) => repos.privacy.erase('t', 'contact', '101'))).toEqual([]);
  });
});
