import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createApp } from '../../src/http/create-app.js';
import { processInbox } from '../../src/jobs/process-inbox.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { createWebhookRouter } from '../../webhooks/create-webhook-router.js';
import { erasedTraces } from '../helpers/erased-traces.js';
import { FakeCrmWriter } from '../helpers/fake-crm-writer.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { signV3 } from '../helpers/sign-hubspot.js';
import { tempDir } from '../helpers/temp-dir.js';
import { worldConnectorModule } from '../helpers/world-connector.js';

const PUBLIC = 'https://agent.example.com';
const SECRET = 'hs-secret';

/**
 * HubSpot's GDPR delete sends `contact.privacyDeletion` and `contact.deletion` with the same occurredAt
 * (https://developers.hubspot.com/docs/api/webhooks: "contact.privacyDeletion"): the erasure must win, in any
 * order and across batches, and leave nothing of the contact in any table or in the SQLite files.
 */
describe('a HubSpot privacy deletion erases the contact whatever else arrives', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const world = generateWorld({ seed: 33, contacts: 300, companies: 60, deals: 400, asOf: '2026-11-01T00:00:00.000Z' });
  const module = worldConnectorModule(world, { writer: () => new FakeCrmWriter() });
  const portal = `world-${world.seed}`;
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let tenantId: string;

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
      name: 'W',
      apiBaseUrl: 'x',
    });
    await runtime
      .credentials()
      .save(tenant.id, { kind: 'static', accessToken: 't', refreshToken: null, expiresAt: null, scopes: [] });
    tenantId = tenant.id;
    await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test' });
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
          fetch: async () => {
            throw new Error('HubSpot webhooks make no call to a CRM');
          },
        }),
      ],
    });
  }, 300_000);
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

  /** A scored contact whose email and full name no other contact shares (so any trace of them is its own). */
  async function victim() {
    const runId = (await runtime.store.results.latestRunId(tenantId))!;
    const scored = new Set((await runtime.store.results.scores(runId)).map((s) => s.recordId));
    const fullName = (c: { firstName: string | null; lastName: string | null }) => `${c.firstName} ${c.lastName}`;
    const count = (values: string[]) => values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map());
    const emails = count(module.records.contacts.map((c) => c.email ?? ''));
    const names = count(module.records.contacts.map(fullName));
    const found = module.records.contacts.find(
      (c) =>
        scored.has(c.id) &&
        c.email &&
        c.firstName &&
        c.lastName &&
        emails.get(c.email) === 1 &&
        names.get(fullName(c)) === 1,
    )!;
    return { id: found.id, needles: [found.email!, fullName(found), JSON.stringify(found.id)] };
  }

  it('erases on contact.privacyDeletion + contact.deletion with the same occurredAt, in either order, across batches', async () => {
    const { id, needles } = await victim();
    await runtime.store.callbacks.add(
      tenantId,
      { callbackId: 'cb-gdpr', objectType: 'contact', recordId: id },
      86_400_000,
    );
    expect((await erasedTraces(runtime.store, needles)).length).toBeGreaterThan(0);

    // The deletion arrives after the privacy deletion, same occurredAt; an edit of the email rides along.
    const edit = event('contact.propertyChange', id, { propertyName: 'email', propertyValue: needles[0] });
    expect((await deliver([event('contact.privacyDeletion', id), event('contact.deletion', id), edit])).status).toBe(
      200,
    );
    expect(await processInbox(runtime, tenantId)).toMatchObject({ erased: 1, status: 'applied' });
    expect(await runtime.store.records.get(tenantId, 'contact', id)).toBeUndefined();
    expect(await erasedTraces(runtime.store, needles)).toEqual([]);
    const [audit] = await runtime.store.audit.list({ tenantId, limit: 1 });
    expect(audit).toMatchObject({ action: 'record.erased', detail: { objectType: 'contact' } });

    // A later batch: an edit of the erased contact neither re-creates it nor keeps its payload.
    clock.advance(60_000);
    expect(
      (await deliver([event('contact.propertyChange', id, { propertyName: 'email', propertyValue: needles[0] })]))
        .status,
    ).toBe(200);
    expect(await processInbox(runtime, tenantId)).toMatchObject({ erased: 0, records: 0 });
    expect(await runtime.store.records.get(tenantId, 'contact', id)).toBeUndefined();
    expect(await erasedTraces(runtime.store, needles)).toEqual([]);

    // A full sync still serving the contact (a stale CRM page) does not bring it or its links back.
    await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test' });
    expect(await runtime.store.records.get(tenantId, 'contact', id)).toBeUndefined();
    expect(await erasedTraces(runtime.store, needles)).toEqual([]);
  }, 300_000);
});
