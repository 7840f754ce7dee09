import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Store } from '../../src/store/open-store.js';
import { chunk, rowsPerStatement } from '../../src/store/repositories/chunk.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { contact, type StoreTarget } from './store.contract.js';

/**
 * More items than either store binds in one statement: SQLite allows 32,766 variables, PostgreSQL 65,535
 * parameters. Every method that takes a caller-sized list must chunk it.
 */
const N = 66_000;
const TIMEOUT = 300_000;
const ids = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix}${i}`);

export function boundParamsContract(target: StoreTarget): void {
  describe(`store bound parameters (${N} items): ${target.name}`, () => {
    const clock = new FixedClock();
    let store: Store;

    beforeAll(async () => {
      store = await target.open(clock);
      await store.migrate();
    }, TIMEOUT);
    afterAll(async () => {
      await store.close();
    });

    it(
      'webhook inbox: add, markDone and remove',
      async () => {
        const events = ids('e').map((eventKey) => ({ provider: 'hubspot', tenantId: 'bp', eventKey, payload: '{}' }));
        expect(await store.inbox.add(events)).toBe(N);
        expect(await store.inbox.add(events)).toBe(0);
        const pending = await store.inbox.pendingFor('bp', N + 1);
        expect(pending.length).toBe(N);
        const half = pending.slice(0, N / 2).map((e) => e.id);
        await store.inbox.markDone(pending.map((e) => e.id));
        expect(await store.inbox.pendingFor('bp', 10)).toEqual([]);
        await store.inbox.remove(half);
        const left = await store.db
          .selectFrom('webhookInbox')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenantId', '=', 'bp')
          .executeTakeFirstOrThrow();
        expect(Number(left.n)).toBe(N / 2);
      },
      TIMEOUT,
    );

    it(
      'outbox: add, claim and release',
      async () => {
        const items = ids('r').map((recordId) => ({
          runId: 'run-1',
          kind: 'fields' as const,
          objectType: 'contact',
          recordId,
          idempotencyKey: `k-${recordId}`,
          payload: { crm_agent_score: '0.5' },
        }));
        expect(await store.outbox.add('bp', items)).toBe(N);
        // A second plan of the same records supersedes every waiting field update (a caller-sized `in` list).
        const again = items.map((i) => ({ ...i, runId: 'run-2', idempotencyKey: `k2-${i.recordId}` }));
        expect(await store.outbox.add('bp', again)).toBe(N);
        expect((await store.outbox.counts('bp')).superseded).toBe(N);
        const claimed = await store.outbox.claim('bp', 'fields', 'contact', N + 1);
        expect(claimed.length).toBe(N);
        expect((await store.outbox.counts('bp')).in_flight).toBe(N);
        await store.outbox.release(claimed.map((c) => c.id));
        expect((await store.outbox.counts('bp')).pending).toBe(N);
      },
      TIMEOUT,
    );

    it(
      'workflow callbacks: complete',
      async () => {
        const expiresAt = new Date(clock.now() + 3_600_000).toISOString();
        const callbackIds = ids('cb');
        const rows = callbackIds.map((callbackId, i) => ({
          tenantId: 'bp',
          callbackId,
          objectType: 'deal',
          recordId: `d${i}`,
          createdAt: new Date(clock.now()).toISOString(),
          expiresAt,
          completedAt: null,
        }));
        for (const part of chunk(rows, rowsPerStatement(7)))
          await store.db.insertInto('workflowCallbacks').values(part).execute();
        expect((await store.callbacks.pending('bp')).length).toBe(N);
        await store.callbacks.complete('bp', callbackIds);
        expect(await store.callbacks.pending('bp')).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'admin sessions: revoke',
      async () => {
        const tenantIds = ids('t');
        const at = new Date(clock.now()).toISOString();
        const expiresAt = new Date(clock.now() + 3_600_000).toISOString();
        const rows = tenantIds.map((tenantId) => ({ idHash: 'h', tenantId, csrfToken: 'c', createdAt: at, expiresAt }));
        for (const part of chunk(rows, rowsPerStatement(5)))
          await store.db.insertInto('adminSessions').values(part).execute();
        await store.sessions.revoke('h', tenantIds);
        const left = await store.db.selectFrom('adminSessions').select('tenantId').where('idHash', '=', 'h').execute();
        expect(left).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'records: upsert, lookups by ids, associations, write ledger, tombstones, results and remove',
      async () => {
        const contactIds = ids('c');
        await store.records.upsert(
          'bp',
          'contact',
          contactIds.map((id) => contact(id)),
        );
        expect((await store.records.getMany('bp', 'contact', contactIds)).size).toBe(N);
        expect((await store.records.listByIds('bp', 'contact', contactIds)).length).toBe(N);
        expect((await store.records.survivors('bp', 'contact', contactIds)).size).toBeLessThanOrEqual(N);
        await store.records.replaceAssociations(
          'bp',
          'contact',
          contactIds,
          'company',
          contactIds.map((id) => ({ fromType: 'contact', fromId: id, toType: 'company', toId: 'co1', label: '' })),
        );
        expect((await store.records.associationsOf('bp', 'contact', contactIds)).length).toBe(N);
        expect(await store.records.pruneAssociationsTo('bp', 'contact', 'company', ['co1'], [])).toBe(N);
        expect((await store.records.lineItemsOfDeals('bp', contactIds)).length).toBe(0);
        expect((await store.records.stageHistoryOf('bp', contactIds)).length).toBe(0);
        expect((await store.writeback.lastWrites('bp', 'contact', contactIds)).size).toBe(0);
        expect((await store.privacy.tombstoned('bp', 'contact', contactIds)).size).toBe(0);
        expect((await store.results.ofRecords('bp', 'contact', contactIds)).length).toBe(N);
        const current = await store.results.currentOf('bp', new Map([['contact', contactIds]]));
        expect(current.scores).toEqual([]);
        await store.records.archive('bp', 'contact', contactIds, new Date(clock.now()).toISOString());
        expect(await store.records.count('bp', 'contact')).toBe(0);
        await store.records.remove('bp', 'contact', contactIds);
        expect(await store.records.count('bp', 'contact', { includeArchived: true })).toBe(0);
      },
      TIMEOUT,
    );
  });
}
