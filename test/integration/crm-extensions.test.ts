import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createApp } from '../../src/http/create-app.js';
import { securityOptionsFor } from '../../src/http/security-headers.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { FakeCrmWriter } from '../helpers/fake-crm-writer.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { signV1, signV2, signV3 } from '../helpers/sign-hubspot.js';
import { tempDir } from '../helpers/temp-dir.js';
import { worldConnectorModule } from '../helpers/world-connector.js';
import { worldId } from '../helpers/world-to-records.js';

const PUBLIC = 'https://agent.example.com';
const SECRET = 'hs-client-secret';
const SF_SECRET = 'sf-consumer-secret';
const ORG = '00D5g000004XyZaEAK';

describe('what reps see inside the CRM', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const writer = new FakeCrmWriter();
  const world = generateWorld({ seed: 8, contacts: 500, companies: 90, deals: 700, asOf: '2026-11-01T00:00:00.000Z' });
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let portal: string;

  beforeAll(async () => {
    const config = loadConfig({
      env: {
        DATA_DIR: dir.path,
        LOG_LEVEL: 'silent',
        PUBLIC_URL: PUBLIC,
        HUBSPOT_CLIENT_SECRET: SECRET,
        SALESFORCE_CLIENT_SECRET: SF_SECRET,
      },
      cwd: dir.path,
      readDotEnv: false,
    });
    runtime = await createRuntime(config, {
      clock,
      logger: silentLogger(),
      // Salesforce's userinfo: the canvas request's token is a live session of ORG; anything else is not.
      fetch: async (input, init) => {
        const token = new Headers(init?.headers).get('authorization');
        if (String(input).endsWith('/services/oauth2/userinfo') && token === 'Bearer live-token')
          return Response.json({ organization_id: ORG });
        return new Response('Bad_OAuth_Token', { status: 403 });
      },
      modules: { hubspot: worldConnectorModule(world, { writer: () => writer }) },
    });
    await runtime.store.migrate();
    const tenant = await runtime.store.tenants.upsert({
      crm: 'hubspot',
      externalId: '620001',
      name: 'Portal',
      apiBaseUrl: 'x',
    });
    await runtime
      .credentials()
      .save(tenant.id, { kind: 'static', accessToken: 't', refreshToken: null, expiresAt: null, scopes: [] });
    portal = tenant.externalId;
    await runtime.store.tenants.upsert({ crm: 'salesforce', externalId: ORG, name: 'Org', apiBaseUrl: 'x' });
    app = createApp({
      store: runtime.store,
      logger: silentLogger(),
      version: 't',
      routers: runtime.routers(),
      security: securityOptionsFor(config, runtime.manifest),
    });
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  const action = (body: unknown, sign: 'v3' | 'v2' | 'none' = 'v3') => {
    const text = JSON.stringify(body);
    const url = `${PUBLIC}/hubspot/workflow-actions/next-best-action`;
    const headers =
      sign === 'v3'
        ? signV3(SECRET, 'POST', url, text, clock.now())
        : sign === 'v2'
          ? signV2(SECRET, 'POST', url, text)
          : {};
    return request(app)
      .post('/hubspot/workflow-actions/next-best-action')
      .set('content-type', 'application/json')
      .set(headers)
      .send(text);
  };
  const execution = (callbackId: string, objectId: string, objectType = 'DEAL') => ({
    callbackId,
    origin: { portalId: Number(portal), actionDefinitionId: 9, actionDefinitionVersion: 1 },
    context: { source: 'WORKFLOWS', workflowId: 77 },
    object: { objectId: Number(objectId), objectType },
    inputFields: {},
  });
  const openDeal = () => world.deals.find((d) => typeof d.stage === 'number')!;
  const dealId = () => worldId.deal(openDeal().index);

  it('holds a workflow (BLOCK) while a record has no result, once per callback, then completes it after the run', async () => {
    const first = await action(execution('cb-1', dealId()));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ outputFields: { hs_execution_state: 'BLOCK', hs_expiration_duration: 'P1D' } });
    expect((await action(execution('cb-1', dealId()), 'v2')).body.outputFields.hs_execution_state).toBe('BLOCK');
    const tenant = (await runtime.store.tenants.findByExternalId('hubspot', portal))!;
    expect(await runtime.store.callbacks.pending(tenant.id)).toHaveLength(1);
    const cycle = await runCycle(runtime, { tenantId: tenant.id, mode: 'full', trigger: 'test' });
    expect(cycle.writeBack?.callbacksCompleted).toBe(1);
    expect(writer.completedCallbacks).toEqual([
      {
        callbackId: 'cb-1',
        outputFields: expect.objectContaining({ hs_execution_state: 'SUCCESS', score: expect.any(Number) }),
      },
    ]);
    expect(await runtime.store.callbacks.pending(tenant.id)).toEqual([]);
  });

  it('answers a workflow at once with the next best action once the record is scored', async () => {
    const res = await action(execution('cb-2', dealId()));
    expect(res.body.outputFields).toMatchObject({
      hs_execution_state: 'SUCCESS',
      next_best_action: expect.any(String),
      priority: expect.stringMatching(/high|medium|low/),
      score: expect.any(Number),
    });
  });

  it('refuses an unsigned, v1-signed or tampered workflow call', async () => {
    expect((await action(execution('cb-3', dealId()), 'none')).status).toBe(401);
    const v1Body = JSON.stringify(execution('cb-3', dealId()));
    const v1 = await request(app)
      .post('/hubspot/workflow-actions/next-best-action')
      .set('content-type', 'application/json')
      .set(signV1(SECRET, v1Body))
      .send(v1Body);
    expect(v1.status).toBe(401);
    const text = JSON.stringify(execution('cb-3', dealId()));
    const headers = signV3(SECRET, 'POST', `${PUBLIC}/hubspot/workflow-actions/next-best-action`, text, clock.now());
    const res = await request(app)
      .post('/hubspot/workflow-actions/next-best-action')
      .set('content-type', 'application/json')
      .set(headers)
      .send(text.replace('cb-3', 'cb-4'));
    expect(res.status).toBe(401);
  });

  it('serves the HubSpot card for a signed hubspot.fetch', async () => {
    const contact = world.contacts.find((c) => c.duplicateOf === null && c.lifecycleStage === 'customer')!;
    const text = JSON.stringify({ objectId: worldId.contact(contact.index), objectTypeId: '0-1' });
    const url = `${PUBLIC}/hubspot/card?portalId=${portal}`;
    const res = await request(app)
      .post(`/hubspot/card?portalId=${portal}`)
      .set('content-type', 'application/json')
      .set(signV3(SECRET, 'POST', url, text, clock.now()))
      .send(text);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      scored: true,
      objectType: 'contact',
      segment: expect.any(String),
      score: { label: expect.stringMatching(/Churn risk|Conversion probability/), reasons: expect.any(Array) },
    });
    expect(res.body.score.reasons.length).toBeGreaterThan(0);
    expect(
      (await request(app).post(`/hubspot/card?portalId=${portal}`).set('content-type', 'application/json').send(text))
        .status,
    ).toBe(401);
  });

  it('binds the HubSpot card to signed data only: a v1 signature (body only) cannot pick the portal by query', async () => {
    const contact = world.contacts.find((c) => c.duplicateOf === null && c.lifecycleStage === 'customer')!;
    const text = JSON.stringify({ objectId: worldId.contact(contact.index), objectTypeId: '0-1' });
    const v1 = await request(app)
      .post(`/hubspot/card?portalId=${portal}`)
      .set('content-type', 'application/json')
      .set(signV1(SECRET, text))
      .send(text);
    expect(v1.status).toBe(401);
    expect(v1.body).not.toHaveProperty('scored');
    const mixed = JSON.stringify({ objectId: worldId.contact(contact.index), objectTypeId: '0-1', portalId: 999 });
    const url = `${PUBLIC}/hubspot/card?portalId=${portal}`;
    const conflicting = await request(app)
      .post(`/hubspot/card?portalId=${portal}`)
      .set('content-type', 'application/json')
      .set(signV3(SECRET, 'POST', url, mixed, clock.now()))
      .send(mixed);
    expect(conflicting.status).toBe(400);
  });

  describe('Salesforce card (Canvas signed request)', () => {
    const signed = (envelope: unknown, secret = SF_SECRET) => {
      const encoded = Buffer.from(JSON.stringify(envelope)).toString('base64');
      return `${createHmac('sha256', secret).update(encoded).digest('base64')}.${encoded}`;
    };
    const envelope = (
      recordId: string,
      org = ORG,
      issuedAt: number | undefined = Math.floor(clock.now() / 1000) - 3600,
    ) => ({
      algorithm: 'HMACSHA256',
      issuedAt,
      client: { instanceUrl: 'https://x.my.salesforce.com', oauthToken: 'live-token' },
      context: { organization: { organizationId: org }, environment: { parameters: { recordId } } },
    });

    it('shows the card page for a verified request', async () => {
      const res = await request(app)
        .post('/salesforce/card')
        .type('form')
        .send({ signed_request: signed(envelope('0065g00000AbCdEAAZ')) });
      expect(res.status).toBe(200);
      expect(res.headers['content-security-policy']).toContain('frame-ancestors');
      expect(res.headers['content-security-policy']).toContain('https://*.force.com');
      expect(res.text).toContain('Not scored yet');
    });

    it.each([
      ['signed with another secret', () => signed(envelope('0065g00000AbCdEAAZ'), 'other'), 401],
      ['for an unknown org', () => signed(envelope('0065g00000AbCdEAAZ', '00D000000000000AAA')), 404],
      ['for a record type without a card', () => signed(envelope('00T5g00000AbCdEAAZ')), 400],
      ['that is not a signed request', () => 'garbage', 401],
      [
        'issued 3 years ago (its OAuth token is long dead: a replay)',
        () => signed(envelope('0065g00000AbCdEAAZ', ORG, Math.floor(clock.now() / 1000) - 3 * 365 * 86_400)),
        401,
      ],
      [
        'issued 25 hours ago (past the longest session timeout)',
        () => signed(envelope('0065g00000AbCdEAAZ', ORG, clock.now() - 25 * 3_600_000)),
        401,
      ],
      [
        'without issuedAt',
        () => {
          const { issuedAt: _undated, ...rest } = envelope('0065g00000AbCdEAAZ');
          return signed(rest);
        },
        401,
      ],
    ])('refuses a request %s', async (_what, body, status) => {
      expect((await request(app).post('/salesforce/card').type('form').send({ signed_request: body() })).status).toBe(
        status,
      );
    });
  });
});
