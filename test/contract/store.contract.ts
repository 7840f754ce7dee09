import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Contact, Deal } from '../../src/domain/records.js';
import { CrmAgentError } from '../../src/lib/errors.js';
import { migrateToLatest, readSchemaVersion } from '../../src/store/migrate.js';
import { MIGRATIONS, migrationId, type SchemaMigration } from '../../src/store/migrations/index.js';
import type { Store } from '../../src/store/open-store.js';
import { API_CALLS_KEY } from '../../src/store/repositories/overview.js';
import { applyChanges } from '../../src/sync/apply-changes.js';
import { purgeTenant, tenantTables } from '../../src/tenancy/purge-tenant.js';
import { erasedTraces } from '../helpers/erased-traces.js';
import { FixedClock } from '../helpers/fixed-clock.js';

/** How a target provides a store: a fresh, empty database each call, and cleanup. */
export interface StoreTarget {
  name: string;
  open(clock: FixedClock): Promise<Store>;
  cleanup(): Promise<void>;
}

export function contact(id: string, overrides: Partial<Contact> = {}): Contact {
  return {
    id,
    crmObject: 'contact',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-02-01T00:00:00.000Z',
    archived: false,
    archivedAt: null,
    mergedInto: null,
    properties: { hs_lead_source: 'web' },
    email: `${id}@example.com`,
    firstName: 'Ada',
    lastName: 'Lovelace',
    companyId: null,
    ownerId: '7',
    lifecycleStage: 'lead',
    leadStatus: null,
    jobTitle: null,
    country: 'GB',
    lastActivityAt: null,
    emailOpens: 3,
    pageViews: null,
    ...overrides,
  };
}

export function deal(id: string, overrides: Partial<Deal> = {}): Deal {
  return {
    id,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-02-01T00:00:00.000Z',
    archived: false,
    archivedAt: null,
    mergedInto: null,
    properties: {},
    name: `Deal ${id}`,
    amount: 1234.5,
    currency: 'EUR',
    pipeline: 'default',
    stage: 'closedwon',
    isClosed: true,
    isWon: true,
    closeDate: '2026-03-01T00:00:00.000Z',
    ownerId: '7',
    companyId: 'c1',
    lastActivityAt: null,
    activityCount: 4,
    ...overrides,
  };
}

/**
 * The store contract: every store target (SQLite, PostgreSQL) must pass exactly these tests
 * (the @slack/oauth spec-utils pattern: one suite, one short file per implementation).
 */
export function storeContract(target: StoreTarget): void {
  describe(`store contract: ${target.name}`, () => {
    const clock = new FixedClock();
    let store: Store;

    beforeAll(async () => {
      store = await target.open(clock);
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
      await target.cleanup();
    });

    describe('migrations', () => {
      it('brings an empty database to the latest schema and is a no-op the second time', async () => {
        const fresh = await target.open(clock);
        try {
          expect(await fresh.schemaVersion()).toBe(0);
          const first = await fresh.migrate();
          expect(first.applied).toEqual(MIGRATIONS.map(migrationId));
          expect(first.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
          const second = await fresh.migrate();
          expect(second.applied).toEqual([]);
          await expect(fresh.assertMigrated()).resolves.toBeUndefined();
        } finally {
          await fresh.close();
        }
      });

      it('reports pending migrations on a database that was never migrated', async () => {
        const fresh = await target.open(clock);
        try {
          await expect(fresh.assertMigrated()).rejects.toMatchObject({ code: 'STORE_SCHEMA_OUTDATED' });
        } finally {
          await fresh.close();
        }
      });

      it('leaves the schema exactly as it was when a migration fails', async () => {
        const fresh = await target.open(clock);
        const failing: SchemaMigration = {
          version: MIGRATIONS.at(-1)!.version + 1,
          name: 'breaks',
          async up(db) {
            await db.schema.createTable('half_done').addColumn('x', 'integer').execute();
            await sql`insert into no_such_table values (1)`.execute(db);
          },
        };
        try {
          const error = await migrateToLatest(fresh.db, fresh.dialect, [...MIGRATIONS, failing]).catch(
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(CrmAgentError);
          expect(error).toMatchObject({ code: 'STORE_MIGRATION_FAILED' });
          expect((error as Error).message).toContain(migrationId(failing));
          const tables = (await fresh.db.introspection.getTables()).map((t) => t.name);
          expect(tables).not.toContain('half_done');
          expect(tables).not.toContain('tenants'); // 0001 ran in the same transaction and was rolled back too
          expect(await readSchemaVersion(fresh.db)).toBe(0);
        } finally {
          await fresh.close();
        }
      });

      it('refuses a database whose schema is newer than the code', async () => {
        const fresh = await target.open(clock);
        try {
          await fresh.migrate();
          await sql`insert into schema_migrations (name, timestamp) values ('0099_from_the_future', '2027-01-01')`.execute(
            fresh.db,
          );
          await expect(fresh.migrate()).rejects.toMatchObject({
            code: 'STORE_SCHEMA_NEWER',
            message: expect.stringContaining('0099_from_the_future'),
          });
        } finally {
          await fresh.close();
        }
      });
    });

    describe('tenants', () => {
      it('upserts by CRM account: a reinstall updates the row and keeps its id', async () => {
        const first = await store.tenants.upsert({
          crm: 'hubspot',
          externalId: '1001',
          name: 'Acme',
          apiBaseUrl: 'https://api.hubapi.com',
        });
        await store.tenants.setStatus(first.id, 'needs_reauth');
        clock.advance(1000);
        const again = await store.tenants.upsert({
          crm: 'hubspot',
          externalId: '1001',
          name: 'Acme Inc',
          apiBaseUrl: 'https://api.hubapi.com',
        });
        expect(again.id).toBe(first.id);
        expect(again.name).toBe('Acme Inc');
        expect(again.status).toBe('active');
        expect(again.updatedAt > first.updatedAt).toBe(true);
        const other = await store.tenants.upsert({
          crm: 'salesforce',
          externalId: '1001',
          name: 'Org',
          apiBaseUrl: 'https://x.my.salesforce.com',
        });
        expect(other.id).not.toBe(first.id);
        expect((await store.tenants.findByExternalId('hubspot', '1001'))?.id).toBe(first.id);
        expect((await store.tenants.list()).map((t) => t.id)).toEqual(expect.arrayContaining([first.id, other.id]));
      });

      it('keeps settings as structured data and records status changes', async () => {
        const t = await store.tenants.upsert({
          crm: 'hubspot',
          externalId: '2002',
          name: 'Beta',
          apiBaseUrl: 'https://api.hubapi.com',
          settings: { schedule: { incremental: '0 * * * *' }, budgetShare: 0.1 },
        });
        await store.tenants.setStatus(t.id, 'disabled');
        const read = await store.tenants.get(t.id);
        expect(read?.settings).toEqual({ schedule: { incremental: '0 * * * *' }, budgetShare: 0.1 });
        expect(read?.status).toBe('disabled');
        expect(read?.disabledAt).not.toBeNull();
        expect(await store.tenants.get('no-such-tenant')).toBeUndefined();
      });
    });

    describe('records', () => {
      it('upserts records by CRM id and reads back exactly what was written', async () => {
        await store.records.upsert('t1', 'contact', [contact('1'), contact('2')]);
        await store.records.upsert('t1', 'contact', [
          contact('2', { firstName: 'Grace', properties: { a: null, b: 'x' } }),
        ]);
        expect(await store.records.get('t1', 'contact', '1')).toEqual(contact('1'));
        expect(await store.records.get('t1', 'contact', '2')).toEqual(
          contact('2', { firstName: 'Grace', properties: { a: null, b: 'x' } }),
        );
        expect(await store.records.count('t1', 'contact')).toBe(2);
        expect(await store.records.count('t2', 'contact')).toBe(0);
      });

      it('round-trips booleans and numbers of deals', async () => {
        await store.records.upsert('t1', 'deal', [
          deal('d1'),
          deal('d2', { isClosed: false, isWon: false, amount: null }),
        ]);
        const deals = await store.records.list('t1', 'deal');
        expect(deals).toEqual([deal('d1'), deal('d2', { isClosed: false, isWon: false, amount: null })]);
      });

      it('writes batches larger than one statement can hold', async () => {
        const many = Array.from({ length: 3500 }, (_, i) => contact(`bulk-${String(i).padStart(5, '0')}`));
        await store.records.upsert('t-bulk', 'contact', many);
        expect(await store.records.count('t-bulk', 'contact')).toBe(3500);
        const listed = await store.records.list('t-bulk', 'contact');
        expect(listed[3499]).toEqual(many[3499]);
      });

      it('archives and merges without losing the record, and removes on privacy deletion', async () => {
        await store.records.upsert('t3', 'contact', [contact('a'), contact('b'), contact('c')]);
        await store.records.replaceAssociations('t3', 'contact', ['c'], 'deal', [
          { fromType: 'contact', fromId: 'c', toType: 'deal', toId: 'd1', label: '4' },
        ]);
        await store.records.archive('t3', 'contact', ['a'], '2026-05-01T00:00:00.000Z', 'b');
        expect(await store.records.count('t3', 'contact')).toBe(2);
        expect(await store.records.count('t3', 'contact', { includeArchived: true })).toBe(3);
        expect(await store.records.get('t3', 'contact', 'a')).toMatchObject({ archived: true, mergedInto: 'b' });
        await store.records.remove('t3', 'contact', ['c']);
        expect(await store.records.get('t3', 'contact', 'c')).toBeUndefined();
        expect(await store.records.listAssociations('t3', 'contact', 'deal')).toEqual([]);
      });

      it('replaces the associations of a record as a whole', async () => {
        const link = (toId: string, label = '') => ({
          fromType: 'contact' as const,
          fromId: 'x',
          toType: 'deal' as const,
          toId,
          label,
        });
        await store.records.replaceAssociations('t4', 'contact', ['x'], 'deal', [link('1'), link('2'), link('2', '4')]);
        await store.records.replaceAssociations('t4', 'contact', ['x'], 'deal', [link('2'), link('3')]);
        expect(await store.records.listAssociations('t4', 'contact', 'deal')).toEqual([link('2'), link('3')]);
      });

      it('drops links into given targets whose sources the target side no longer lists, and adds none', async () => {
        const link = (fromId: string, toId: string, label = '') => ({
          fromType: 'contact' as const,
          fromId,
          toType: 'company' as const,
          toId,
          label,
        });
        await store.records.replaceAssociations('t4p', 'contact', ['x', 'y', 'z'], 'company', [
          link('x', 'co1', 'Primary'),
          link('x', 'co1'),
          link('y', 'co1'),
          link('y', 'co2'),
          link('z', 'co3'),
        ]);
        const removed = await store.records.pruneAssociationsTo(
          't4p',
          'contact',
          'company',
          ['co1', 'co2'],
          [
            { fromId: 'x', toId: 'co1' },
            { fromId: 'w', toId: 'co2' },
          ],
        );
        expect(removed).toBe(2);
        expect(await store.records.listAssociations('t4p', 'contact', 'company')).toEqual([
          link('x', 'co1'),
          link('x', 'co1', 'Primary'),
          link('z', 'co3'),
        ]);
      });

      it('points links and company references at the survivor of a merge, following chains of merges', async () => {
        const link = (fromId: string, toId: string, label = '') => ({
          fromType: 'deal' as const,
          fromId,
          toType: 'contact' as const,
          toId,
          label,
        });
        await store.records.upsert('t7', 'contact', [contact('m1'), contact('m2'), contact('m3')]);
        await store.records.upsert('t7', 'deal', [deal('d7', { companyId: 'co-old' })]);
        await store.records.replaceAssociations('t7', 'deal', ['d7', 'd8'], 'contact', [
          link('d7', 'm1'),
          link('d7', 'm2'),
          link('d8', 'm1', 'Primary'),
        ]);
        await store.records.archive('t7', 'contact', ['m1'], '2026-05-01T00:00:00.000Z', 'm2');
        await store.records.remapMerged('t7', 'contact', 'm1', 'm2');
        expect(await store.records.listAssociations('t7', 'deal', 'contact')).toEqual([
          link('d7', 'm2'),
          link('d8', 'm2', 'Primary'),
        ]);
        await store.records.remapMerged('t7', 'company', 'co-old', 'co-new');
        expect((await store.records.get('t7', 'deal', 'd7'))?.companyId).toBe('co-new');
        await store.records.archive('t7', 'contact', ['m2'], '2026-05-02T00:00:00.000Z', 'm3');
        expect(await store.records.survivors('t7', 'contact', ['m1', 'm2', 'm3', 'zz'])).toEqual(
          new Map([
            ['m1', 'm3'],
            ['m2', 'm3'],
          ]),
        );
      });

      it('keeps deal stage history once per change', async () => {
        const change = { dealId: 'd1', stage: 'qualified', enteredAt: '2026-01-02T00:00:00.000Z', amount: 10 };
        await store.records.addStageHistory('t5', [
          change,
          { ...change, stage: 'won', enteredAt: '2026-02-02T00:00:00.000Z' },
        ]);
        await store.records.addStageHistory('t5', [change]);
        expect(await store.records.listStageHistory('t5')).toHaveLength(2);
      });
    });

    describe('property definitions', () => {
      it("replaces an object type's definitions as a whole and reads them back", async () => {
        const stage = {
          objectType: 'deal' as const,
          name: 'dealstage',
          label: 'Deal Stage',
          type: 'enumeration',
          fieldType: 'radio',
          groupName: 'dealinformation',
          options: [{ value: 'closedwon', label: 'Closed Won', hidden: false, metadata: { isClosed: 'true' } }],
          readOnly: false,
          custom: false,
        };
        const score = { ...stage, name: 'acme_score', label: 'Score', type: 'number', options: [], custom: true };
        await store.propertyDefinitions.replace('t6', 'deal', [stage, score]);
        await store.propertyDefinitions.replace('t6', 'contact', [{ ...score, objectType: 'contact' }]);
        await store.propertyDefinitions.replace('t6', 'deal', [stage]);
        expect(await store.propertyDefinitions.list('t6', 'deal')).toEqual([stage]);
        expect((await store.propertyDefinitions.list('t6')).map((d) => `${d.objectType}.${d.name}`)).toEqual([
          'contact.acme_score',
          'deal.dealstage',
        ]);
      });
    });

    describe('sync cursors', () => {
      it('stores one cursor per stream and overwrites it', async () => {
        expect(await store.cursors.get('t1', 'contacts')).toBeUndefined();
        await store.cursors.put('t1', 'contacts', { watermark: '2026-01-01T00:00:00.000Z', state: { after: '100' } });
        await store.cursors.put('t1', 'contacts', { watermark: '2026-01-02T00:00:00.000Z', state: { after: '200' } });
        await store.cursors.put('t1', 'deals', { watermark: null, state: {} });
        expect(await store.cursors.get('t1', 'contacts')).toEqual({
          watermark: '2026-01-02T00:00:00.000Z',
          state: { after: '200' },
        });
        expect((await store.cursors.list('t1')).map((c) => c.stream)).toEqual(['contacts', 'deals']);
        await store.cursors.clear('t1', 'deals');
        expect(await store.cursors.get('t1', 'deals')).toBeUndefined();
      });
    });

    describe('runs', () => {
      it('records a run with its stages, timings and outcome', async () => {
        const runId = await store.runs.start('t1', 'cycle', 'schedule');
        await store.runs.startStage('t1', runId, 'collect');
        clock.advance(1500);
        await store.runs.finishStage(runId, 'collect', 'succeeded', { records: 10 });
        await store.runs.finish(runId, 'failed', { requests: 3 }, 'token revoked');
        const run = await store.runs.get(runId);
        expect(run).toMatchObject({
          tenantId: 't1',
          status: 'failed',
          error: 'token revoked',
          summary: { requests: 3 },
        });
        const [stage] = await store.runs.stages(runId);
        expect(stage).toMatchObject({ stage: 'collect', status: 'succeeded', detail: { records: 10 } });
        expect(Date.parse(stage!.finishedAt!) - Date.parse(stage!.startedAt)).toBe(1500);
        expect((await store.runs.list('t1')).map((r) => r.id)).toContain(runId);
      });
    });

    describe('overview', () => {
      it('finds the last sync however many runs came since, and sums today’s API calls', async () => {
        const sync = await store.runs.start('o1', 'cycle', 'schedule');
        await store.runs.finish(sync, 'succeeded', {});
        clock.advance(1000);
        const manual = await store.runs.start('o1', 'sync:incremental', 'cli');
        await store.runs.finish(manual, 'failed', {}, 'x');
        for (let i = 0; i < 35; i++) {
          clock.advance(1000);
          await store.runs.start('o1', 'recompute', 'webhook');
        }
        expect(await store.overview.lastSyncRunId('o1')).toBe(manual);
        expect(await store.overview.lastSyncRunId('nobody')).toBeUndefined();

        const since = new Date(clock.now() - 60_000).toISOString();
        expect(await store.overview.callsSince('o1', since)).toBe(0);
        await store.apiUsage.record('o1', API_CALLS_KEY, 3, null);
        await store.apiUsage.record('o1', API_CALLS_KEY, 4, null);
        await store.apiUsage.record('o1', 'salesforce:daily', 50, null);
        await store.apiUsage.record('o2', API_CALLS_KEY, 9, null);
        expect(await store.overview.callsSince('o1', since)).toBe(7);
        clock.advance(3 * 86_400_000);
        expect(await store.overview.callsSince('o1', '2000-01-01T00:00:00.000Z')).toBe(0);
      });
    });

    describe('write-back ledger and dry runs', () => {
      it('learns only from tasks the rep completed: their action keys, not the tasks crm-agent removed or deferred', async () => {
        const task = (key: string, actionKey: string, status: string) => [
          { objectType: 'task', recordId: key, field: 'action_key', value: actionKey },
          { objectType: 'task', recordId: key, field: 'status', value: status },
        ];
        await store.writeback.record('t-ledger', 'r1', [
          ...task('a1-0', 'a1', 'completed'),
          ...task('a2-0', 'a2', 'removed'),
          ...task('a3-0', 'a3', 'deferred'),
          ...task('a4-1', 'a4', 'open'),
        ]);
        expect(await store.writeback.completedTaskKeys('t-ledger')).toEqual(new Set(['a1']));
      });

      it('a dry run is never the baseline of the next run', async () => {
        const real = await store.runs.start('t-dry', 'cycle', 'test');
        clock.advance(1000);
        const dry = await store.runs.start('t-dry', 'dry-run', 'cli');
        for (const runId of [real, dry])
          await store.db
            .insertInto('runArtifacts')
            .values({ tenantId: 't-dry', runId, name: 'health', payload: '{}' })
            .execute();
        expect(await store.results.latestRunId('t-dry')).toBe(real);
      });
    });

    describe('webhook inbox', () => {
      it('stores each event once however often it is delivered', async () => {
        const event = (key: string) => ({ provider: 'hubspot', tenantId: 't1', eventKey: key, payload: '{}' });
        expect(await store.inbox.add([event('1:100'), event('1:101')])).toBe(2);
        expect(await store.inbox.add([event('1:100'), event('1:102')])).toBe(1);
        const pending = await store.inbox.pending(10);
        expect(pending.map((e) => e.eventKey)).toEqual(['1:100', '1:101', '1:102']);
        await store.inbox.markDone([pending[0]!.id]);
        await store.inbox.markFailed(pending[1]!.id, 'tenant unknown');
        expect((await store.inbox.pending(10)).map((e) => e.eventKey)).toEqual(['1:102']);
      });
    });

    describe('workflow callbacks', () => {
      it('finds the pending callbacks whose record has a result in the run, and only those', async () => {
        const t = 'callbacks-t';
        const runId = await store.runs.start(t, 'cycle', 'test');
        await store.db
          .insertInto('scores')
          .values({
            tenantId: t,
            runId,
            objectType: 'deal',
            recordId: 'd1',
            kind: 'win',
            probability: 0.5,
            reasons: '[]',
            modelVersion: 'm',
          })
          .execute();
        await store.db
          .insertInto('segmentMembers')
          .values({ tenantId: t, runId, objectType: 'contact', recordId: 'c1', segmentKey: 'A' })
          .execute();
        for (const [callbackId, objectType, recordId] of [
          ['cb-d1', 'deal', 'd1'],
          ['cb-c1', 'contact', 'c1'],
          ['cb-d2', 'deal', 'd2'],
          ['cb-c1-as-deal', 'deal', 'c1'],
        ] as const)
          await store.callbacks.add(t, { callbackId, objectType, recordId }, 60_000);
        expect((await store.callbacks.ready(t, runId)).map((c) => c.callbackId).sort()).toEqual(['cb-c1', 'cb-d1']);
        expect(await store.callbacks.ready(t, 'another-run')).toEqual([]);
        await store.callbacks.complete(t, ['cb-d1']);
        expect((await store.callbacks.ready(t, runId)).map((c) => c.callbackId)).toEqual(['cb-c1']);
        expect((await store.callbacks.pending(t)).length).toBe(3);
      });
    });

    describe('API usage ledger', () => {
      it('sums a rolling window per tenant and key, keeps the last reported allocation, and forgets old buckets', async () => {
        const ledger = store.apiUsage.ledger('u1');
        expect(await ledger.usage('salesforce:daily', 86_400_000)).toEqual({ requests: 0, allocation: null });
        await ledger.record('salesforce:daily', 1, null);
        await ledger.record('salesforce:daily', 2, 15_000);
        await store.apiUsage.ledger('u2').record('salesforce:daily', 50, 9);
        await ledger.record('other', 7, null);
        clock.advance(6 * 60_000);
        await ledger.record('salesforce:daily', 4, null);
        expect(await ledger.usage('salesforce:daily', 86_400_000)).toEqual({ requests: 7, allocation: 15_000 });
        clock.advance(86_400_000 - 60_000);
        expect(await ledger.usage('salesforce:daily', 86_400_000)).toEqual({ requests: 4, allocation: null });
        clock.advance(3 * 86_400_000);
        expect(await ledger.usage('salesforce:daily', 86_400_000)).toEqual({ requests: 0, allocation: null });
        const rows = await store.db.selectFrom('apiUsage').selectAll().where('tenantId', '=', 'u1').execute();
        expect(rows.map((r) => r.key)).toEqual(['other']);
      });
    });

    describe('audit log', () => {
      it('appends, refuses updates and deletes, and verifies its hash chain', async () => {
        const tenant = await store.tenants.upsert({
          crm: 'hubspot',
          externalId: 'audit-1',
          name: 'A',
          apiBaseUrl: 'https://x',
        });
        await store.audit.append({
          tenantId: tenant.id,
          actor: 'system',
          action: 'tenant.installed',
          detail: { hubId: 'audit-1' },
        });
        await store.audit.append({ tenantId: null, actor: 'system', action: 'key.rotated', detail: {} });
        await store.audit.append({
          tenantId: tenant.id,
          actor: 'system',
          action: 'writeback.batch',
          detail: { records: 100 },
        });
        expect((await store.audit.list({ tenantId: tenant.id })).map((e) => e.action)).toEqual([
          'writeback.batch',
          'tenant.installed',
        ]);
        expect(await store.audit.verify()).toBeNull();
        // Matched on the message: better-sqlite3's error class belongs to whichever test file loaded it first.
        const refused = { message: expect.stringMatching(/append-only/) };
        await expect(store.db.updateTable('auditLog').set({ action: 'x' }).execute()).rejects.toMatchObject(refused);
        await expect(store.db.deleteFrom('auditLog').where('tenantId', '=', tenant.id).execute()).rejects.toMatchObject(
          refused,
        );
      });

      it('detects a forged row', async () => {
        await store.db
          .insertInto('auditLog')
          .values({
            at: '2026-01-01T00:00:00.000Z',
            tenantId: null,
            actor: 'mallory',
            action: 'x',
            detail: '{}',
            prevHash: 'f'.repeat(64),
            hash: 'e'.repeat(64),
          })
          .execute();
        const forged = await store.db
          .selectFrom('auditLog')
          .select('id')
          .where('actor', '=', 'mallory')
          .executeTakeFirstOrThrow();
        expect(await store.audit.verify()).toBe(Number(forged.id));
      });

      it("lets a purge remove exactly the tenant's chain", async () => {
        const keep = await store.tenants.upsert({
          crm: 'salesforce',
          externalId: 'audit-keep',
          name: 'K',
          apiBaseUrl: 'https://k',
        });
        const gone = await store.tenants.upsert({
          crm: 'salesforce',
          externalId: 'audit-gone',
          name: 'G',
          apiBaseUrl: 'https://g',
        });
        await store.audit.append({ tenantId: keep.id, actor: 'system', action: 'a', detail: {} });
        await store.audit.append({ tenantId: gone.id, actor: 'system', action: 'b', detail: {} });
        await store.audit.append({ tenantId: keep.id, actor: 'system', action: 'c', detail: {} });
        await store.tenants.setStatus(gone.id, 'purging');
        await store.db.deleteFrom('auditLog').where('tenantId', '=', gone.id).execute();
        expect(await store.audit.list({ tenantId: gone.id })).toEqual([]);
        expect((await store.audit.list({ tenantId: keep.id })).map((e) => e.action)).toEqual(['c', 'a']);
      });
    });

    describe('privacy and purge', () => {
      it('erases a record with everything derived from it, and a later sync does not bring it back', async () => {
        const t = 'privacy-t';
        await store.records.upsert(t, 'contact', [contact('p1'), contact('p2')]);
        await store.db
          .insertInto('scores')
          .values({
            tenantId: t,
            runId: 'r',
            objectType: 'contact',
            recordId: 'p1',
            kind: 'churn',
            probability: 0.3,
            reasons: '[]',
            modelVersion: 'm',
          })
          .execute();
        await store.db
          .insertInto('writebackLedger')
          .values({
            tenantId: t,
            objectType: 'contact',
            recordId: 'p1',
            field: 'crm_agent_segment',
            value: 'A',
            runId: 'r',
            writtenAt: 'x',
          })
          .execute();
        await store.transaction((tx) => applyChanges(tx, t, { erasures: [{ type: 'contact', id: 'p1' }] }));
        expect(await store.records.get(t, 'contact', 'p1')).toBeUndefined();
        expect(await store.db.selectFrom('scores').selectAll().where('tenantId', '=', t).execute()).toEqual([]);
        expect(await store.db.selectFrom('writebackLedger').selectAll().where('tenantId', '=', t).execute()).toEqual(
          [],
        );
        const counts = await store.transaction((tx) =>
          applyChanges(tx, t, { contacts: [contact('p1'), contact('p2', { firstName: 'New' })] }),
        );
        expect(counts.contact).toBe(1);
        expect(await store.records.get(t, 'contact', 'p1')).toBeUndefined();
        expect((await store.records.get(t, 'contact', 'p2'))?.firstName).toBe('New');
      });

      it('leaves no row in any table, and no byte in the SQLite files, carrying an erased contact', async () => {
        const t = 'erase-all-t';
        const id = 'zq-4417-erased';
        const email = 'zenobia.quartermaine@erased.example';
        const name = 'Zenobia Quartermaine';
        const needles = [id, email, name];
        await store.records.upsert(t, 'contact', [
          contact(id, { email, firstName: 'Zenobia', lastName: 'Quartermaine' }),
          contact('zq-keep'),
        ]);
        await store.records.upsert(t, 'deal', [deal('zq-deal')]);
        await store.records.replaceAssociations(t, 'deal', ['zq-deal'], 'contact', [
          { fromType: 'deal', fromId: 'zq-deal', toType: 'contact', toId: id, label: '' },
        ]);
        const runId = await store.runs.start(t, 'cycle', 'test');
        const per = { tenantId: t, runId, objectType: 'contact', recordId: id };
        await store.db
          .insertInto('scores')
          .values({ ...per, kind: 'churn', probability: 0.3, reasons: '[]', modelVersion: 'm' })
          .execute();
        await store.db
          .insertInto('segmentMembers')
          .values({ ...per, segmentKey: 'A' })
          .execute();
        await store.db
          .insertInto('actions')
          .values({
            ...per,
            actionKey: 'ak-1',
            action: 'call',
            priority: 'high',
            dueDate: null,
            reason: 'r',
            status: 'proposed',
            outcome: null,
            segmentKey: 'A',
            value: 1,
            createdAt: 'x',
          })
          .execute();
        await store.db
          .insertInto('recommendations')
          .values({ ...per, items: '[]' })
          .execute();
        await store.writeback.record(t, runId, [
          { objectType: 'contact', recordId: id, field: 'crm_agent_segment', value: 'A' },
          { objectType: 'task', recordId: 'ak-1-1', field: 'record', value: `contact:${id}` },
          { objectType: 'task', recordId: 'ak-1-1', field: 'crm_id', value: 'task-77' },
        ]);
        await store.outbox.add(t, [
          { runId, kind: 'fields', objectType: 'contact', recordId: id, idempotencyKey: 'o1', payload: { a: 1 } },
          {
            runId,
            kind: 'task',
            objectType: 'deal',
            recordId: 'zq-deal',
            idempotencyKey: 'o2',
            payload: { subject: `Call ${name} about Deal`, contactId: id, record: 'deal:zq-deal' },
          },
        ]);
        const event = (n: number, change: string, extra: Record<string, unknown> = {}) => ({
          provider: 'hubspot',
          tenantId: t,
          eventKey: `zq:${n}`,
          payload: JSON.stringify({ crm: 'hubspot', objectType: 'contact', objectId: id, change, ...extra }),
        });
        await store.inbox.add([
          event(1, 'updated', { propertyName: 'email', propertyValue: email }),
          event(2, 'updated', { propertyName: 'firstname', propertyValue: 'Zenobia' }),
          event(3, 'privacy_deletion'),
        ]);
        await store.callbacks.add(t, { callbackId: 'cb-1', objectType: 'contact', recordId: id }, 60_000);
        await store.runs.finish(runId, 'succeeded', { errors: [{ kind: 'fields', recordId: id, error: 'x' }] });
        expect((await erasedTraces(store, needles)).length).toBeGreaterThan(0);

        await store.transaction((tx) => applyChanges(tx, t, { erasures: [{ type: 'contact', id }] }));
        await store.scrub();

        expect(await erasedTraces(store, needles)).toEqual([]);
        // Another record's rows stay; the run keeps its summary counts.
        expect(await store.records.get(t, 'contact', 'zq-keep')).toBeDefined();
        expect(await store.records.get(t, 'deal', 'zq-deal')).toBeDefined();
        expect((await store.runs.get(runId))?.status).toBe('succeeded');
        const [audit] = await store.audit.list({ tenantId: t, limit: 1 });
        expect(audit).toMatchObject({
          actor: 'crm',
          action: 'record.erased',
          detail: {
            objectType: 'contact',
            rows: expect.objectContaining({ contacts: 1, outbox: 2, webhook_inbox: 3 }),
          },
        });
        // Sync still recognises the record (tombstone by hash) and does not bring back it or its links.
        await store.transaction((tx) =>
          applyChanges(tx, t, {
            contacts: [contact(id, { email })],
            associations: [
              {
                fromType: 'deal',
                fromIds: ['zq-deal'],
                toType: 'contact',
                links: [{ fromType: 'deal', fromId: 'zq-deal', toType: 'contact', toId: id, label: '' }],
              },
            ],
          }),
        );
        await store.scrub();
        expect(await erasedTraces(store, needles)).toEqual([]);
      });

      it('leaves no byte of a purged tenant in the SQLite files', async () => {
        const gone = await store.tenants.upsert({
          crm: 'hubspot',
          externalId: 'purge-bytes',
          name: 'P',
          apiBaseUrl: 'x',
        });
        const email = 'ottoline.vasquez@purged.example';
        await store.records.upsert(gone.id, 'contact', [contact('ov-1', { email, firstName: 'Ottoline' })]);
        await store.inbox.add([
          {
            provider: 'hubspot',
            tenantId: gone.id,
            eventKey: 'ov:1',
            payload: JSON.stringify({ propertyValue: email }),
          },
        ]);
        expect((await erasedTraces(store, [email])).length).toBeGreaterThan(0);
        await purgeTenant(store, gone.id, 'uninstalled');
        expect(await erasedTraces(store, [email])).toEqual([]);
      });

      it('purges every row of a tenant from every table that has a tenant id, and nothing of another tenant', async () => {
        const gone = await store.tenants.upsert({ crm: 'hubspot', externalId: 'purge-me', name: 'P', apiBaseUrl: 'x' });
        const kept = await store.tenants.upsert({ crm: 'hubspot', externalId: 'keep-me', name: 'K', apiBaseUrl: 'x' });
        for (const t of [gone, kept]) {
          await store.records.upsert(t.id, 'contact', [contact('c')]);
          await store.records.upsert(t.id, 'deal', [deal('d')]);
          await store.cursors.put(t.id, 'contacts', { watermark: null, state: {} });
          await store.runs.start(t.id, 'cycle', 'test');
          await store.inbox.add([{ provider: 'hubspot', tenantId: t.id, eventKey: `${t.id}:1`, payload: '{}' }]);
          await store.audit.append({ tenantId: t.id, actor: 'system', action: 'tenant.installed', detail: {} });
          await store.slots.claim(t.id, 'incremental', '2026-01-01T00:00:00.000Z', 'p');
        }
        const tables = await tenantTables(store);
        expect(tables).toEqual(
          expect.arrayContaining(['audit_log', 'contacts', 'credentials', 'outbox', 'webhook_inbox', 'schedule_slots']),
        );
        const rows = await purgeTenant(store, gone.id, 'uninstalled');
        expect(rows.contacts).toBe(1);
        for (const table of tables) {
          const left = await sql<{
            n: number;
          }>`select count(*) as n from ${sql.table(table)} where tenant_id = ${gone.id}`.execute(store.db);
          expect([table, Number(left.rows[0]?.n)]).toEqual([table, 0]);
        }
        expect(await store.tenants.get(gone.id)).toBeUndefined();
        expect(await store.records.count(kept.id, 'contact')).toBe(1);
        expect((await store.audit.list({ tenantId: kept.id })).length).toBe(1);
        expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({
          tenantId: null,
          action: 'tenant.purged',
          detail: { reason: 'uninstalled' },
        });
        expect(JSON.stringify(await store.audit.list({ limit: 1 }))).not.toContain('purge-me');
      });
    });

    describe('admin sessions', () => {
      it('sees only installed tenants, renews under a new id, revokes and removes', async () => {
        const up = (externalId: string) =>
          store.tenants.upsert({ crm: 'hubspot', externalId, name: externalId, apiBaseUrl: 'https://x' });
        const [a, b, c] = [await up('sess-a'), await up('sess-b'), await up('sess-c')];
        await store.tenants.setStatus(b.id, 'needs_reauth');
        const expires = new Date(clock.now() + 3_600_000).toISOString();
        for (const t of [a, b, c]) await store.sessions.grant('old-hash', t.id, 'csrf-1', expires);
        await store.sessions.grant('old-hash', 'purged-tenant', 'csrf-1', expires);
        await store.tenants.setStatus(c.id, 'disabled');
        expect(await store.sessions.get('old-hash')).toEqual({
          tenantIds: expect.arrayContaining([a.id, b.id]),
          revokedTenantIds: expect.arrayContaining([c.id, 'purged-tenant']),
          csrfToken: 'csrf-1',
          expiresAt: expires,
        });

        const later = new Date(clock.now() + 7_200_000).toISOString();
        expect(await store.sessions.renew('old-hash', 'new-hash', 'csrf-2', later)).toBe(4);
        expect(await store.sessions.get('old-hash')).toBeUndefined();
        expect(await store.sessions.get('new-hash')).toMatchObject({ csrfToken: 'csrf-2', expiresAt: later });

        await store.sessions.revoke('new-hash', [c.id, 'purged-tenant']);
        expect((await store.sessions.get('new-hash'))?.revokedTenantIds).toEqual([]);
        await store.sessions.remove('new-hash');
        expect(await store.sessions.get('new-hash')).toBeUndefined();
      });

      it('never renews an expired session into a live one', async () => {
        const t = await store.tenants.upsert({ crm: 'hubspot', externalId: 'sess-x', name: 'x', apiBaseUrl: 'x' });
        await store.sessions.grant('stale-hash', t.id, 'csrf', new Date(clock.now() + 1000).toISOString());
        clock.advance(2000);
        expect(
          await store.sessions.renew(
            'stale-hash',
            'fresh-hash',
            'csrf-2',
            new Date(clock.now() + 3_600_000).toISOString(),
          ),
        ).toBe(0);
        expect(await store.sessions.get('fresh-hash')).toBeUndefined();
      });
    });

    describe('transactions', () => {
      it('commits all writes or none', async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.tenants.upsert({ crm: 'hubspot', externalId: 'tx-1', name: 'T', apiBaseUrl: 'https://x' });
            await tx.records.upsert('tx', 'contact', [contact('tx-c')]);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.tenants.findByExternalId('hubspot', 'tx-1')).toBeUndefined();
        expect(await store.records.get('tx', 'contact', 'tx-c')).toBeUndefined();
        const id = await store.transaction(async (tx) => {
          const t = await tx.tenants.upsert({ crm: 'hubspot', externalId: 'tx-2', name: 'T', apiBaseUrl: 'https://x' });
          await tx.audit.append({ tenantId: t.id, actor: 'system', action: 'tenant.installed', detail: {} });
          return t.id;
        });
        expect((await store.audit.list({ tenantId: id })).map((e) => e.action)).toEqual(['tenant.installed']);
      });
    });
  });
}
