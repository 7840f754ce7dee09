import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { loadConfig } from '../../src/config/load-config.js';
import { createApp } from '../../src/http/create-app.js';
import { rotateOutboundSecret } from '../../src/install/outbound-secret.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { signV1, signV2, signV3 } from '../helpers/sign-hubspot.js';
import { tempDir } from '../helpers/temp-dir.js';

const PUBLIC = 'https://agent.example.com';
const HS_SECRET = 'hs-client-secret';
const SF_SECRET = 'sf-consumer-secret';
const PORTAL = '620001';
const ORG = '00D5g000004XyZaEAK';

/**
 * The sweep: every forged or replayed request to every endpoint a CRM calls is refused with a 4xx, stores nothing
 * (inbox and held workflow callbacks unchanged) and spends nothing (crm-agent makes no request to any CRM).
 */
describe('every CRM-facing endpoint refuses forged and replayed requests', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
  const crmRequests: string[] = [];
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let outboundPath = '';
  /** A webhook delivery HubSpot really sent (valid v3), captured by an eavesdropper and replayed later. */
  let captured: { body: string; headers: Record<string, string> };
  let capturedAction: { body: string; headers: Record<string, string> };

  beforeAll(async () => {
    const config = loadConfig({
      env: {
        DATA_DIR: dir.path,
        LOG_LEVEL: 'silent',
        PUBLIC_URL: PUBLIC,
        HUBSPOT_CLIENT_ID: 'hs-client',
        HUBSPOT_CLIENT_SECRET: HS_SECRET,
        SALESFORCE_CLIENT_ID: 'sf-client',
        SALESFORCE_CLIENT_SECRET: SF_SECRET,
      },
      cwd: dir.path,
      readDotEnv: false,
    });
    runtime = await createRuntime(config, {
      clock,
      logger: silentLogger(),
      fetch: async (input) => {
        crmRequests.push(String(input));
        return new Response('{}', { status: 401 });
      },
    });
    await runtime.store.migrate();
    await runtime.store.tenants.upsert({ crm: 'hubspot', externalId: PORTAL, name: 'Portal', apiBaseUrl: 'x' });
    const org = await runtime.store.tenants.upsert({
      crm: 'salesforce',
      externalId: ORG,
      name: 'Org',
      apiBaseUrl: 'https://acme.my.salesforce.com',
    });
    outboundPath = `/webhooks/salesforce/${await rotateOutboundSecret(runtime.store, org.id)}`;
    app = createApp({ store: runtime.store, logger: silentLogger(), version: 't', routers: runtime.routers() });

    // What HubSpot genuinely sent a while ago: accepted then, replayed 6 minutes later below.
    const body = JSON.stringify([hubspotEvent(1, clock.now())]);
    captured = { body, headers: signV3(HS_SECRET, 'POST', `${PUBLIC}/webhooks/hubspot`, body, clock.now()) };
    expect((await postJson('/webhooks/hubspot', captured.body, captured.headers)).status).toBe(200);
    const actionBody = JSON.stringify(execution('cb-captured'));
    capturedAction = {
      body: actionBody,
      headers: signV3(
        HS_SECRET,
        'POST',
        `${PUBLIC}/hubspot/workflow-actions/next-best-action`,
        actionBody,
        clock.now(),
      ),
    };
    clock.advance(6 * 60_000);
  }, 60_000);
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  const hubspotEvent = (eventId: number, occurredAt: number) => ({
    eventId,
    subscriptionId: 11,
    portalId: Number(PORTAL),
    appId: 5,
    occurredAt,
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 5000 + eventId,
    propertyName: 'dealstage',
    propertyValue: 'closedwon',
  });
  const execution = (callbackId: string) => ({
    callbackId,
    origin: { portalId: Number(PORTAL), actionDefinitionId: 9, actionDefinitionVersion: 1 },
    object: { objectId: 123, objectType: 'DEAL' },
    inputFields: {},
  });
  const postJson = (path: string, body: string, headers: Record<string, string>) =>
    request(app).post(path).set('content-type', 'application/json').set(headers).send(body);
  const outbound = (org = ORG, session = 'forged-session-id') =>
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${org}</OrganizationId><ActionId>04k5g000000AbCdAAK</ActionId><SessionId>${session}</SessionId><Notification><Id>04l5g000001AAAAAA1</Id><sObject xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>0065g00000AbCdEAAZ</sf:Id></sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>`;
  const postSoap = (path: string, xml: string) => request(app).post(path).set('content-type', 'text/xml').send(xml);
  const canvas = (envelope: Record<string, unknown>, secret = SF_SECRET) => {
    const encoded = Buffer.from(JSON.stringify(envelope)).toString('base64');
    const signed = `${createHmac('sha256', secret).update(encoded).digest('base64')}.${encoded}`;
    return request(app).post('/salesforce/card').type('form').send({ signed_request: signed });
  };
  const canvasEnvelope = (issuedAtSeconds: number | undefined) => ({
    algorithm: 'HMACSHA256',
    ...(issuedAtSeconds === undefined ? {} : { issuedAt: issuedAtSeconds }),
    client: { instanceUrl: 'https://acme.my.salesforce.com', oauthToken: 'old-token' },
    context: { organization: { organizationId: ORG }, environment: { parameters: { recordId: '0065g00000AbCdEAAZ' } } },
  });
  const nowSeconds = () => Math.floor(clock.now() / 1000);
  const webhookUrl = `${PUBLIC}/webhooks/hubspot`;
  const actionPath = '/hubspot/workflow-actions/next-best-action';
  const actionUrl = `${PUBLIC}${actionPath}`;
  const fresh = () => JSON.stringify([hubspotEvent(2, clock.now())]);

  const attacks: Array<[string, () => request.Test]> = [
    // HubSpot webhooks
    ['HubSpot webhook: unsigned', () => postJson('/webhooks/hubspot', fresh(), {})],
    [
      'HubSpot webhook: v3 with a guessed secret',
      () => postJson('/webhooks/hubspot', fresh(), signV3('guess', 'POST', webhookUrl, fresh(), clock.now())),
    ],
    [
      'HubSpot webhook: a genuine delivery replayed 6 minutes later',
      () => postJson('/webhooks/hubspot', captured.body, captured.headers),
    ],
    [
      'HubSpot webhook: the v1 signature of a genuine delivery, replayed without its v3 headers',
      () => postJson('/webhooks/hubspot', captured.body, signV1(HS_SECRET, captured.body)),
    ],
    [
      'HubSpot webhook: a genuine v3 signature over another body',
      () => postJson('/webhooks/hubspot', fresh(), captured.headers),
    ],
    [
      'HubSpot webhook: events dated 1970',
      () => {
        const body = JSON.stringify([hubspotEvent(3, 0)]);
        return postJson('/webhooks/hubspot', body, signV3(HS_SECRET, 'POST', webhookUrl, body, clock.now()));
      },
    ],
    // HubSpot workflow action
    ['workflow action: unsigned', () => postJson(actionPath, JSON.stringify(execution('cb-x')), {})],
    [
      'workflow action: v1 (signs the body only)',
      () =>
        postJson(actionPath, JSON.stringify(execution('cb-x')), signV1(HS_SECRET, JSON.stringify(execution('cb-x')))),
    ],
    [
      'workflow action: v2 with a guessed secret',
      () =>
        postJson(
          actionPath,
          JSON.stringify(execution('cb-x')),
          signV2('guess', 'POST', actionUrl, JSON.stringify(execution('cb-x'))),
        ),
    ],
    [
      'workflow action: a genuine v3 call replayed 6 minutes later',
      () => postJson(actionPath, capturedAction.body, capturedAction.headers),
    ],
    // HubSpot card
    [
      'HubSpot card: v1 signature, portal picked by the unsigned query',
      () => {
        const body = JSON.stringify({ objectId: '123', objectTypeId: '0-3' });
        return postJson(`/hubspot/card?portalId=${PORTAL}`, body, signV1(HS_SECRET, body));
      },
    ],
    [
      'HubSpot card: v3 from 6 minutes ago',
      () => {
        const body = JSON.stringify({ objectId: '123', objectTypeId: '0-3' });
        const url = `${PUBLIC}/hubspot/card?portalId=${PORTAL}`;
        return postJson(
          `/hubspot/card?portalId=${PORTAL}`,
          body,
          signV3(HS_SECRET, 'POST', url, body, clock.now() - 360_000),
        );
      },
    ],
    // Salesforce outbound messages
    [
      'outbound message: the secret-less URL, known org, made-up SessionId',
      () => postSoap('/webhooks/salesforce', outbound()),
    ],
    ['outbound message: a guessed secret URL', () => postSoap('/webhooks/salesforce/guessed-secret', outbound())],
    [
      'outbound message: the right URL naming another org',
      () => postSoap(outboundPath, outbound('00D5g000009ZzZzEAK')),
    ],
    // Salesforce canvas
    ['canvas: signed with a guessed secret', () => canvas(canvasEnvelope(nowSeconds()), 'guess')],
    ['canvas: a genuine request issued 3 years ago', () => canvas(canvasEnvelope(nowSeconds() - 3 * 365 * 86_400))],
    ['canvas: undated', () => canvas(canvasEnvelope(undefined))],
    // Install callbacks
    [
      'HubSpot install callback with a made-up state',
      () => request(app).get('/oauth/hubspot/callback?code=c&state=forged'),
    ],
    [
      'Salesforce install callback with a made-up state',
      () => request(app).get('/oauth/salesforce/callback?code=c&state=forged'),
    ],
    ['Salesforce install callback without a state', () => request(app).get('/oauth/salesforce/callback?code=c')],
  ];

  it.each(attacks)('%s: 4xx, nothing stored, nothing spent', async (_what, attack) => {
    const hubspot = (await runtime.store.tenants.findByExternalId('hubspot', PORTAL))!;
    const inboxBefore = await runtime.store.inbox.pending(1000);
    const callbacksBefore = await runtime.store.callbacks.pending(hubspot.id);
    const tenantsBefore = await runtime.store.tenants.list();
    crmRequests.length = 0;
    const res = await attack();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toContain('<Ack>true</Ack>');
    expect(await runtime.store.inbox.pending(1000)).toEqual(inboxBefore);
    expect(await runtime.store.callbacks.pending(hubspot.id)).toEqual(callbacksBefore);
    expect(await runtime.store.tenants.list()).toEqual(tenantsBefore);
    expect(crmRequests).toEqual([]);
  });
});
