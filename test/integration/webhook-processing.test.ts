import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { Rng } from '../../sandbox/world/rng.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createApp } from '../../src/http/create-app.js';
import { processInbox } from '../../src/jobs/process-inbox.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { createWebhookRouter } from '../../webhooks/create-webhook-router.js';
import { FakeCrmWriter } from '../helpers/fake-crm-writer.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { signV3 } from '../helpers/sign-hubspot.js';
import { tempDir } from '../helpers/temp-dir.js';
import { worldConnectorModule } from '../helpers/world-connector.js';

const PUBLIC = 'https://agent.example.com';
const SECRET = 'hs-secret';

describe('webhooks trigger recomputes of just the records that changed', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  let writer = new FakeCrmWriter();
  const world = generateWorld({ seed: 21, contacts: 500, companies: 90, deals: 700, asOf: '2026-11-01T00:00:00.000Z' });
  const module = worldConnectorModule(world, { writer: () => writer });
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let tenantId: string;
  const portal = `world-${world.seed}`;

  beforeAll(async () => {
    const config = loadConfig({
      env: { DATA_DIR: dir.path, LOG_LEVEL: 'silent', PUBLIC_URL: PUBLIC, HUBSPOT_CLIENT_SECRET: SECRET },
      cwd: dir.path,
      readDotEnv: false,
    });
    runtime = await createRuntime(config, { clock, logger: silentLogger(), modules: { hubspot: module } });
    await runtime.store.migrate();
    const tenant = await runtime.store.tenants.upsert({
      crm: 'hubspot',
      externalId: portal,
      name: 'World',
      apiBaseUrl: 'x',
    });
    await runtime
      .credentials()
      .save(tenant.id, { kind: 'static', accessToken: 't', refreshToken: null, expiresAt: null, scopes: [] });
    tenantId = tenant.id;
    await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test' });
    // Intake without onStored: the test drives processing itself instead of the queue.
    app = createApp({
      store: runtime.store,
      logger: silentLogger(),
      version: 't',
      routers: [
        createWebhookRouter({
          store: runtime.store,
          logger: silentLogger(),
          clock,
          publicUrl: PUBLIC,
          paths: { hubspot: '/webhooks/hubspot', salesforce: '/webhooks/salesforce' },
          hubspotSecrets: [SECRET],
          fetch: globalThis.fetch,
        }),
      ],
    });
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  const deliver = (events: unknown[]) => {
    const body = JSON.stringify(events);
    return request(app)
      .post('/webhooks/hubspot')
      .set('content-type', 'application/json')
      .set(signV3(SECRET, 'POST', `${PUBLIC}/webhooks/hubspot`, body, clock.now()))
      .send(body);
  };
  let eventId = 1;
  const event = (subscriptionType: string, objectId: string, extra: Record<string, unknown> = {}) => ({
    eventId: eventId++,
    subscriptionId: 3,
    portalId: portal,
    occurredAt: clock.now(),
    subscriptionType,
    objectId: Number(objectId),
    attemptNumber: 0,
    ...extra,
  });

  it('re-reads an edited deal, re-scores it and writes back only that deal', async () => {
    const deal = module.records.deals.find((d) => !d.isClosed)!;
    const before = (
      await runtime.store.results.scores((await runtime.store.results.latestRunId(tenantId))!, {
        objectType: 'deal',
        recordId: deal.id,
      })
    )[0]!;
    Object.assign(deal, {
      activityCount: (deal.activityCount ?? 0) + 40,
      lastActivityAt: new Date(clock.now()).toISOString(),
      updatedAt: new Date(clock.now()).toISOString(),
    });
    writer = new FakeCrmWriter();
    const edit = event('deal.propertyChange', deal.id, {
      propertyName: 'num_notes',
      propertyValue: String(deal.activityCount),
    });
    expect((await deliver([edit, edit])).status).toBe(200);
    const result = await processInbox(runtime, tenantId);
    expect(result).toMatchObject({ status: 'recomputed', events: 1, records: 1 });
    const after = (await runtime.store.results.scores(result.runId!, { objectType: 'deal', recordId: deal.id }))[0]!;
    expect(after.probability).not.toBe(before.probability);
    expect([...writer.records.keys()]).toEqual([`deal:${deal.id}`]);
    expect(writer.records.get(`deal:${deal.id}`)).toMatchObject({
      crm_agent_win_probability: Math.round(after.probability * 100),
    });
    expect(await processInbox(runtime, tenantId)).toMatchObject({ status: 'idle' });
  });

  it('an event whose record reads back as the local copy holds it (the echo of crm-agent’s own write) scores nothing', async () => {
    const deal = module.records.deals.find((d) => !d.isClosed && d.id !== module.records.deals[3]!.id)!;
    const runs = (await runtime.store.runs.list(tenantId)).length;
    writer = new FakeCrmWriter();
    const echo = event('deal.propertyChange', deal.id, { propertyName: 'amount', propertyValue: String(deal.amount) });
    expect((await deliver([echo])).status).toBe(200);
    expect(await processInbox(runtime, tenantId)).toMatchObject({ status: 'applied', events: 1, records: 0 });
    expect((await runtime.store.runs.list(tenantId)).length).toBe(runs);
    expect(writer.records.size).toBe(0);
    // The same event once the record really changed: scored and written back.
    Object.assign(deal, { amount: (deal.amount ?? 0) * 3 + 5000, updatedAt: new Date(clock.now()).toISOString() });
    expect((await deliver([event('deal.propertyChange', deal.id, { propertyName: 'amount' })])).status).toBe(200);
    expect(await processInbox(runtime, tenantId)).toMatchObject({ status: 'recomputed', records: 1 });
  });

  it('an association change (no objectId, HubSpot sends one per side) re-reads both ends of the link', async () => {
    const deal = module.records.deals[3]!;
    const company = module.records.companies[5]!;
    // developers.hubspot.com/changelog/new-subscription-types-for-webhooks: the link, not a record, is named.
    const link = (subscriptionType: string, from: string, to: string, associationType: string) => {
      const { objectId: _none, ...rest } = event(subscriptionType, from, {
        associationType,
        fromObjectId: Number(from),
        toObjectId: Number(to),
        associationRemoved: false,
        isPrimaryAssociation: true,
      });
      return rest;
    };
    writer = new FakeCrmWriter();
    expect((await deliver([link('company.associationChange', company.id, deal.id, 'COMPANY_TO_DEAL')])).status).toBe(
      200,
    );
    expect(await processInbox(runtime, tenantId)).toMatchObject({ status: 'recomputed', events: 1, records: 2 });
    expect((await deliver([link('deal.associationChange', deal.id, company.id, 'DEAL_TO_COMPANY')])).status).toBe(200);
    expect(await processInbox(runtime, tenantId)).toMatchObject({ status: 'recomputed', events: 1, records: 2 });
  });

  it('erases a contact on a privacy deletion, and merges remap to the survivor', async () => {
    const [gone, kept, merged] = module.records.contacts.slice(10, 13);
    module.records.contacts.splice(module.records.contacts.indexOf(merged!), 1);
    expect(
      (
        await deliver([
          event('contact.privacyDeletion', gone!.id),
          event('contact.merge', kept!.id, {
            primaryObjectId: Number(kept!.id),
            mergedObjectIds: [Number(kept!.id), Number(merged!.id)],
            newObjectId: Number(kept!.id),
          }),
        ])
      ).status,
    ).toBe(200);
    const result = await processInbox(runtime, tenantId);
    expect(result).toMatchObject({ erased: 1 });
    expect(await runtime.store.records.get(tenantId, 'contact', gone!.id)).toBeUndefined();
    expect(await runtime.store.records.get(tenantId, 'contact', merged!.id)).toMatchObject({
      archived: true,
      mergedInto: kept!.id,
    });
    // A later full sync does not bring the erased contact back.
    await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test' });
    expect(await runtime.store.records.get(tenantId, 'contact', gone!.id)).toBeUndefined();
  });

  it('processes 10,000 deliveries with 10 % duplicates and 5 % reordered exactly once', async () => {
    const rng = new Rng(9);
    const contacts = module.records.contacts;
    const unique = Array.from({ length: 9_000 }, () =>
      event('contact.propertyChange', contacts[rng.int(0, contacts.length - 1)]!.id, {
        propertyName: 'lifecyclestage',
        propertyValue: 'customer',
      }),
    );
    const deliveries = [...unique, ...Array.from({ length: 1_000 }, () => unique[rng.int(0, unique.length - 1)]!)];
    for (let i = 0; i < deliveries.length; i++) {
      if (rng.chance(0.05)) {
        const j = rng.int(0, deliveries.length - 1);
        [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
      }
    }
    for (let i = 0; i < deliveries.length; i += 100)
      expect((await deliver(deliveries.slice(i, i + 100))).status).toBe(200);
    const stored = await runtime.store.db
      .selectFrom('webhookInbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenantId', '=', tenantId)
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(9_000);
    let processed = 0;
    for (;;) {
      const r = await processInbox(runtime, tenantId);
      if (r.status === 'idle') break;
      processed += r.events;
    }
    expect(processed).toBe(9_000);
    const left = await runtime.store.inbox.pendingFor(tenantId, 10);
    expect(left).toEqual([]);
  });
});
