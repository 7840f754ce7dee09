import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../../src/http/create-app.js';
import { rotateOutboundSecret } from '../../../src/install/outbound-secret.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { createWebhookRouter } from '../../../webhooks/create-webhook-router.js';
import { SESSION_CACHE_MS } from '../../../webhooks/salesforce/session-check.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { tempDir } from '../../helpers/temp-dir.js';

const ORG = '00D5g000004XyZaEAK';
const OTHER_ORG = '00D5g000009ZzZzEAK';
const INSTANCE = 'https://acme.my.salesforce.com';
const CAP = 5;

let notification = 0;
/** A SOAP outbound message as Salesforce sends it, `n` notifications, with or without "Send Session ID". */
const message = (n: number, options: { org?: string; session?: string; enterpriseUrl?: string } = {}) => {
  const org = options.org ?? ORG;
  const items = Array.from({ length: n }, () => {
    const id = String(++notification).padStart(8, '0');
    return `<Notification><Id>04l5g0000${id}A</Id><sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>0035g0000${id}AAA</sf:Id></sObject></Notification>`;
  }).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${org}</OrganizationId><ActionId>04k5g000000AbCdAAK</ActionId>${
    options.session ? `<SessionId>${options.session}</SessionId>` : '<SessionId xsi:nil="true"/>'
  }<EnterpriseUrl>${options.enterpriseUrl ?? INSTANCE}/services/Soap/c/62.0/${org}</EnterpriseUrl>${items}</notifications></soapenv:Body></soapenv:Envelope>`;
};

describe('Salesforce outbound messages: who is trusted', () => {
  const dir = tempDir();
  const clock = new FixedClock();
  let store: Store;
  let app: Express;
  let secret = '';
  /** Every request crm-agent made to "Salesforce". */
  const calls: Array<{ url: string; authorization: string }> = [];
  /** userinfo's answer per bearer token: an org id, a status, or a network failure. */
  const sessions = new Map<string, string | number | 'down'>();
  const fetchSpy: typeof fetch = async (input, init) => {
    const url = String(input);
    const authorization = new Headers(init?.headers).get('authorization') ?? '';
    calls.push({ url, authorization });
    const answer = sessions.get(authorization.replace(/^Bearer /, '')) ?? 401;
    if (answer === 'down') throw new TypeError('fetch failed');
    if (typeof answer === 'number') return new Response('Bad_OAuth_Token', { status: answer });
    return Response.json({ organization_id: answer, user_id: '0055g000001AbCdAAK' });
  };

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: join(dir.path, 'o.db') }, { clock });
    await store.migrate();
    const tenant = await store.tenants.upsert({
      crm: 'salesforce',
      externalId: ORG,
      name: 'Acme',
      apiBaseUrl: INSTANCE,
    });
    secret = await rotateOutboundSecret(store, tenant.id);
    const router = createWebhookRouter({
      store,
      logger: silentLogger(),
      clock,
      publicUrl: 'https://agent.example.com',
      paths: { hubspot: '/webhooks/hubspot', salesforce: '/webhooks/salesforce' },
      hubspotSecrets: ['hs'],
      fetch: fetchSpy,
      salesforceEventsPerMinute: CAP,
    });
    app = createApp({ store, logger: silentLogger(), version: 't', routers: [router] });
  });
  beforeEach(() => {
    // A fresh minute for each test, so the per-org cap starts empty.
    clock.advance(60_000);
    calls.length = 0;
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  const post = (path: string, xml: string) =>
    request(app).post(path).set('content-type', 'text/xml; charset=utf-8').send(xml);
  const stored = async () => (await store.inbox.pending(1000)).length;

  it('accepts a message at the org’s own secret URL and acknowledges it', async () => {
    const before = await stored();
    const res = await post(`/webhooks/salesforce/${secret}`, message(2));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Ack>true</Ack>');
    expect(await stored()).toBe(before + 2);
    expect(calls).toEqual([]);
  });

  it.each([
    ['the old secret-less URL', () => '/webhooks/salesforce'],
    ['a made-up secret', () => '/webhooks/salesforce/not-the-secret'],
    ['the secret with its last character changed', () => `/webhooks/salesforce/${flip(secret)}`],
  ])('refuses a message sent to %s (4xx), storing nothing and calling nobody', async (_what, path) => {
    const before = await stored();
    const res = await post(path(), message(1, { session: 'forged-session' }));
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('<Ack>true</Ack>');
    expect(await stored()).toBe(before);
    expect(calls).toEqual([]);
  });

  it('refuses a message naming an org that is not installed, even at a valid secret URL', async () => {
    const before = await stored();
    const res = await post(`/webhooks/salesforce/${secret}`, message(1, { org: OTHER_ORG }));
    expect(res.status).toBe(401);
    expect(await stored()).toBe(before);
  });

  it('checks a SessionId with the org’s own instance (not the message’s URLs) once, then from cache', async () => {
    sessions.set('live-session', ORG);
    const before = await stored();
    const first = await post(
      `/webhooks/salesforce/${secret}`,
      message(1, { session: 'live-session', enterpriseUrl: 'https://attacker.example' }),
    );
    expect(first.status).toBe(200);
    expect(calls).toEqual([{ url: `${INSTANCE}/services/oauth2/userinfo`, authorization: 'Bearer live-session' }]);
    expect((await post(`/webhooks/salesforce/${secret}`, message(1, { session: 'live-session' }))).status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(await stored()).toBe(before + 2);
    clock.advance(SESSION_CACHE_MS + 1);
    expect((await post(`/webhooks/salesforce/${secret}`, message(1, { session: 'live-session' }))).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it.each([
    ['a made-up session', 'made-up-session', undefined],
    ['a session of another org', 'other-org-session', OTHER_ORG],
    ['a revoked session', 'revoked-session', 403],
  ])('refuses a message carrying %s before any work', async (_what, session, answer) => {
    if (answer !== undefined) sessions.set(session, answer);
    const before = await stored();
    const res = await post(`/webhooks/salesforce/${secret}`, message(3, { session }));
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/session rejected/);
    expect(await stored()).toBe(before);
    expect(calls).toHaveLength(1);
  });

  it('answers 503 (Salesforce retries) when the session cannot be checked, storing nothing', async () => {
    sessions.set('unreachable-session', 'down');
    const before = await stored();
    const res = await post(`/webhooks/salesforce/${secret}`, message(1, { session: 'unreachable-session' }));
    expect(res.status).toBe(503);
    expect(res.text).toContain('Fault');
    expect(await stored()).toBe(before);
  });

  it('caps accepted notifications per org per minute with a SOAP fault and 429, storing nothing beyond it', async () => {
    const before = await stored();
    expect((await post(`/webhooks/salesforce/${secret}`, message(3))).status).toBe(200);
    const over = await post(`/webhooks/salesforce/${secret}`, message(3));
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toMatch(/^\d+$/);
    expect(over.text).toContain('<soapenv:Fault>');
    expect(over.text).not.toContain('<Ack>true</Ack>');
    expect(await stored()).toBe(before + 3);
    expect((await post(`/webhooks/salesforce/${secret}`, message(2))).status).toBe(200);
    expect(await stored()).toBe(before + 5);
    // The next minute, Salesforce's retry of the refused message goes through.
    clock.advance(60_000);
    expect((await post(`/webhooks/salesforce/${secret}`, message(3))).status).toBe(200);
    expect(await stored()).toBe(before + 8);
  });

  it('does not let messages with a rejected session use up the org’s minute', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await post(`/webhooks/salesforce/${secret}`, message(2, { session: 'made-up-session' }))).status).toBe(
        401,
      );
    }
    expect((await post(`/webhooks/salesforce/${secret}`, message(CAP))).status).toBe(200);
  });

  it('issues a new secret on rotation: the previous URL stops working at once', async () => {
    const tenant = (await store.tenants.findByExternalId('salesforce', ORG))!;
    const old = secret;
    secret = await rotateOutboundSecret(store, tenant.id);
    expect(secret).not.toBe(old);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await post(`/webhooks/salesforce/${old}`, message(1))).status).toBe(401);
    expect((await post(`/webhooks/salesforce/${secret}`, message(1))).status).toBe(200);
  });
});

function flip(text: string): string {
  const last = text.at(-1) === 'A' ? 'B' : 'A';
  return text.slice(0, -1) + last;
}
