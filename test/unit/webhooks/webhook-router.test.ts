import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../../src/http/create-app.js';
import { rotateOutboundSecret } from '../../../src/install/outbound-secret.js';
import { createLogger, silentLogger } from '../../../src/lib/logger.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { createWebhookRouter } from '../../../webhooks/create-webhook-router.js';
import { Capture } from '../../helpers/capture.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { signV1, signV3 } from '../../helpers/sign-hubspot.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PUBLIC = 'https://agent.example.com';
/** These messages carry no SessionId: nothing may call Salesforce. */
const noFetch: typeof fetch = async () => {
  throw new Error('no CRM request expected');
};
const SECRET = 'hs-secret';
const ORG = '00D5g000004XyZaEAK';

const event = (eventId: number, portalId = 777, extra: Record<string, unknown> = {}) => ({
  eventId,
  subscriptionId: 11,
  portalId,
  appId: 5,
  occurredAt: 1_790_000_000_000,
  subscriptionType: 'contact.propertyChange',
  attemptNumber: 0,
  objectId: 1000 + eventId,
  propertyName: 'lifecyclestage',
  propertyValue: 'customer',
  changeSource: 'CRM_UI',
  ...extra,
});

const outbound = (ids: string[], org = ORG) => `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>${org}</OrganizationId>
   <ActionId>04k5g000000AbCdAAK</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://x.my.salesforce.com/services/Soap/c/62.0/${org}</EnterpriseUrl>
   ${ids
     .map(
       (
         id,
       ) => `<Notification><Id>${id}</Id><sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>0035g00000${id.slice(-8)}AAA</sf:Id><sf:Email>a&amp;b@example.com</sf:Email><sf:SystemModstamp>2026-11-20T10:00:00.000Z</sf:SystemModstamp>
   </sObject></Notification>`,
     )
     .join('')}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`;

describe('webhook intake', () => {
  const dir = tempDir();
  const clock = new FixedClock(1_790_000_000_000);
  const logs = new Capture();
  let store: Store;
  let app: Express;
  const stored: string[][] = [];
  let sfPath = '';

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: join(dir.path, 'w.db') }, { clock });
    await store.migrate();
    await store.tenants.upsert({
      crm: 'hubspot',
      externalId: '777',
      name: 'Portal',
      apiBaseUrl: 'https://api.hubapi.com',
    });
    const org = await store.tenants.upsert({
      crm: 'salesforce',
      externalId: ORG,
      name: 'Org',
      apiBaseUrl: 'https://x.my.salesforce.com',
    });
    sfPath = `/webhooks/salesforce/${await rotateOutboundSecret(store, org.id)}`;
    const logger = createLogger({ level: 'debug', format: 'json', destination: logs });
    const router = createWebhookRouter({
      store,
      logger,
      clock,
      publicUrl: PUBLIC,
      paths: { hubspot: '/webhooks/hubspot', salesforce: '/webhooks/salesforce' },
      hubspotSecrets: [SECRET],
      fetch: noFetch,
      onStored: (ids) => stored.push(ids),
    });
    app = createApp({ store, logger: silentLogger(), version: 't', routers: [router] });
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  const postHubSpot = (
    body: string,
    headers = signV3(SECRET, 'POST', `${PUBLIC}/webhooks/hubspot`, body, clock.now()),
  ) => request(app).post('/webhooks/hubspot').set('content-type', 'application/json').set(headers).send(body);

  it('stores a signed HubSpot batch, acknowledges it, and wakes processing', async () => {
    const res = await postHubSpot(JSON.stringify([event(1), event(2)]));
    expect(res.status).toBe(200);
    const pending = await store.inbox.pending(10);
    expect(pending.map((e) => e.eventKey)).toEqual(['777:11:1', '777:11:2']);
    expect(JSON.parse(pending[0]!.payload)).toMatchObject({
      crm: 'hubspot',
      objectType: 'contact',
      objectId: '1001',
      change: 'updated',
      propertyName: 'lifecyclestage',
    });
    expect(stored.at(-1)).toHaveLength(1);
  });

  it('stores a redelivered event once', async () => {
    const before = stored.length;
    expect((await postHubSpot(JSON.stringify([event(1), event(3)]))).status).toBe(200);
    expect((await store.inbox.pending(10)).map((e) => e.eventKey)).toEqual(['777:11:1', '777:11:2', '777:11:3']);
    expect((await postHubSpot(JSON.stringify([event(3)]))).status).toBe(200);
    expect(stored.length).toBe(before + 1);
  });

  it.each([
    [
      'a bad signature',
      () =>
        postHubSpot(
          JSON.stringify([event(50)]),
          signV3('wrong', 'POST', `${PUBLIC}/webhooks/hubspot`, '[]', clock.now()),
        ),
      401,
      /signature rejected/,
    ],
    [
      'a stale timestamp',
      () =>
        postHubSpot(
          JSON.stringify([event(51)]),
          signV3(SECRET, 'POST', `${PUBLIC}/webhooks/hubspot`, JSON.stringify([event(51)]), clock.now() - 301_000),
        ),
      401,
      /timestamp 301 s/,
    ],
    ['a missing signature', () => postHubSpot(JSON.stringify([event(52)]), {}), 401, /missing signature header/],
    [
      'a v1 signature alone (HubSpot signs every webhook v3, so a v1-only delivery is a replay or forgery)',
      () => postHubSpot(JSON.stringify([event(55)]), signV1(SECRET, JSON.stringify([event(55)]))),
      401,
      /v1 signatures are not accepted/,
    ],
    [
      'a delivery whose events are dated 1970 (older than HubSpot retries for)',
      () => postHubSpot(JSON.stringify([event(56, 777, { occurredAt: 0 })])),
      400,
      /outside the replay window/,
    ],
    [
      'a delivery whose events are dated in the future',
      () => postHubSpot(JSON.stringify([event(57, 777, { occurredAt: clock.now() + 3_600_000 })])),
      400,
      /outside the replay window/,
    ],
    ['a body that is not JSON', () => postHubSpot('{not json'), 400, /not JSON/],
    [
      'JSON that is not an event batch',
      () => postHubSpot(JSON.stringify({ hello: 1 })),
      400,
      /not a HubSpot event batch/,
    ],
    [
      'a body that is not declared JSON',
      () => {
        const body = JSON.stringify([event(53)]);
        return request(app)
          .post('/webhooks/hubspot')
          .set('content-type', 'text/plain')
          .set(signV3(SECRET, 'POST', `${PUBLIC}/webhooks/hubspot`, body, clock.now()))
          .send(body);
      },
      415,
      /expected application\/json/,
    ],
    [
      'a body over 1 MiB',
      () => postHubSpot(JSON.stringify([event(54, 777, { propertyValue: 'x'.repeat(1024 * 1024) })])),
      413,
      /body over 1 MiB/,
    ],
  ])('refuses %s, stores nothing and logs why', async (_what, send, status, reason) => {
    const before = await store.inbox.pending(100);
    const res = await send();
    expect(res.status).toBe(status);
    expect(await store.inbox.pending(100)).toEqual(before);
    expect(logs.records.at(-1)).toMatchObject({
      msg: 'webhook refused',
      status,
      reason: expect.stringMatching(reason),
    });
  });

  it('stores the events of a delivery HubSpot may still retry (up to 24 h old) and drops older ones', async () => {
    const day = 24 * 3_600_000;
    const res = await postHubSpot(
      JSON.stringify([
        event(80, 777, { occurredAt: clock.now() - day + 60_000 }),
        event(81, 777, { occurredAt: clock.now() - 2 * day }),
      ]),
    );
    expect(res.status).toBe(200);
    const keys = (await store.inbox.pending(100)).map((e) => e.eventKey);
    expect(keys).toContain('777:11:80');
    expect(keys).not.toContain('777:11:81');
    expect(logs.records.filter((r) => r.msg === 'events outside the replay window').at(-1)).toMatchObject({
      dropped: 1,
    });
  });

  it('drops events of portals it does not know, with a log line', async () => {
    const res = await postHubSpot(JSON.stringify([event(60, 999)]));
    expect(res.status).toBe(200);
    expect((await store.inbox.pending(100)).some((e) => e.eventKey.startsWith('999:'))).toBe(false);
    expect(logs.records.filter((r) => r.msg === 'events of unknown accounts dropped').at(-1)).toMatchObject({
      accounts: ['999'],
    });
  });

  it('acknowledges a Salesforce outbound message with the SOAP Ack after storing it', async () => {
    const res = await request(app)
      .post(sfPath)
      .set('content-type', 'text/xml; charset=utf-8')
      .send(outbound(['04l5g000001AAAAAA1', '04l5g000001AAAAAA2']));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Ack>true</Ack>');
    const sf = (await store.inbox.pending(100)).filter((e) => e.provider === 'salesforce');
    expect(sf.map((e) => JSON.parse(e.payload))).toEqual([
      expect.objectContaining({
        crm: 'salesforce',
        objectType: 'contact',
        objectId: '0035g000001AAAAAA1AAA',
        change: 'updated',
        occurredAt: '2026-11-20T10:00:00.000Z',
      }),
      expect.objectContaining({ objectId: '0035g000001AAAAAA2AAA' }),
    ]);
    const again = await request(app)
      .post(sfPath)
      .set('content-type', 'text/xml')
      .send(outbound(['04l5g000001AAAAAA1']));
    expect(again.text).toContain('<Ack>true</Ack>');
    expect((await store.inbox.pending(100)).filter((e) => e.provider === 'salesforce')).toHaveLength(2);
  });

  it('accepts the 15-character form of a known org id', async () => {
    const res = await request(app)
      .post(sfPath)
      .set('content-type', 'text/xml')
      .send(outbound(['04l5g000001AAAAAA3'], ORG.slice(0, 15)));
    expect(res.status).toBe(200);
  });

  it.each([
    ['an unknown org', outbound(['04l5g000001AAAAAA9'], '00D000000000001AAA'), 401],
    ['XML that is not an outbound message', '<a><b/></a>', 400],
    ['a DOCTYPE (entity expansion)', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', 400],
    ['malformed XML', '<soapenv:Envelope><oops', 400],
  ])('refuses %s from Salesforce and stores nothing', async (_what, xml, status) => {
    const before = await store.inbox.pending(100);
    const res = await request(app).post(sfPath).set('content-type', 'text/xml').send(xml);
    expect(res.status).toBe(status);
    expect(await store.inbox.pending(100)).toEqual(before);
  });

  it('answers 503 (so the sender retries) when the store cannot take the events', async () => {
    const broken = await openStore({ kind: 'sqlite', path: join(dir.path, 'broken.db') }, { clock });
    await broken.migrate();
    await broken.tenants.upsert({ crm: 'hubspot', externalId: '777', name: 'P', apiBaseUrl: 'x' });
    const router = createWebhookRouter({
      store: broken,
      logger: silentLogger(),
      clock,
      publicUrl: PUBLIC,
      paths: { hubspot: '/webhooks/hubspot', salesforce: '/webhooks/salesforce' },
      hubspotSecrets: [SECRET],
      fetch: noFetch,
    });
    const brokenApp = createApp({ store: broken, logger: silentLogger(), version: 't', routers: [router] });
    await broken.db.schema.dropTable('webhook_inbox').execute();
    const body = JSON.stringify([event(70)]);
    const res = await request(brokenApp)
      .post('/webhooks/hubspot')
      .set('content-type', 'application/json')
      .set(signV3(SECRET, 'POST', `${PUBLIC}/webhooks/hubspot`, body, clock.now()))
      .send(body);
    expect(res.status).toBe(503);
    await broken.close();
  });
});
