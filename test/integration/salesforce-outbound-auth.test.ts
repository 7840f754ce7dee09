import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createSalesforceSandbox,
  type RequestEvent,
  type SalesforceSandbox,
} from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import { createApp } from '../../src/http/create-app.js';
import { outboundMessageUrl, rotateOutboundSecret } from '../../src/install/outbound-secret.js';
import { silentLogger } from '../../src/lib/logger.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { createWebhookRouter } from '../../webhooks/create-webhook-router.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The sandbox org sends outbound messages the way Salesforce does to a configured Endpoint URL, with "Send Session
 * ID" on; crm-agent accepts them only at the org's secret URL, after checking the session with the org.
 */
describe('Salesforce outbound messages from the sandbox org', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
  let sandbox: SalesforceSandbox;
  let store: Store;
  let server: Server;
  let appUrl = '';
  let secret = '';
  const sandboxRequests: RequestEvent[] = [];

  beforeAll(async () => {
    sandbox = createSalesforceSandbox({ clock, seed: 5, contacts: 40, accounts: 10, opportunities: 20 });
    const sandboxUrl = await sandbox.listen();
    sandbox.events.on('request', (event: RequestEvent) => sandboxRequests.push(event));
    store = await openStore({ kind: 'sqlite', path: join(dir.path, 'o.db') }, { clock });
    await store.migrate();
    const tenant = await store.tenants.upsert({
      crm: 'salesforce',
      externalId: sandbox.state.orgId,
      name: 'Sandbox org',
      apiBaseUrl: sandboxUrl,
    });
    secret = await rotateOutboundSecret(store, tenant.id);
    const router = createWebhookRouter({
      store,
      logger: silentLogger(),
      clock,
      publicUrl: 'http://127.0.0.1',
      paths: { hubspot: '/webhooks/hubspot', salesforce: '/webhooks/salesforce' },
      hubspotSecrets: ['hs'],
      fetch: globalThis.fetch,
    });
    server = createApp({ store, logger: silentLogger(), version: 't', routers: [router] }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    await sandbox.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    dir.remove();
  });

  const storedIds = async () =>
    (await store.inbox.pending(1000)).map((e) => (JSON.parse(e.payload) as { objectId: string }).objectId);

  it('is refused at the old secret-less URL until Salesforce gives up: nothing stored, no session checked', async () => {
    const messenger = sandbox.configureOutboundMessage(`${appUrl}/webhooks/salesforce`, { sendSessionId: true });
    sandbox.control.edit({ object: 'Opportunity', count: 2, seed: 1 });
    await messenger.idle();
    expect(messenger.deliveries.length).toBeGreaterThan(1);
    expect(messenger.deliveries.every((d) => d.status === 401 && !d.acknowledged)).toBe(true);
    expect(messenger.dropped).toBe(2);
    expect(await storedIds()).toEqual([]);
    expect(sandboxRequests.filter((r) => r.path === '/services/oauth2/userinfo')).toEqual([]);
  }, 120_000);

  it('is accepted at the org’s secret URL once its SessionId checks out with the org', async () => {
    const messenger = sandbox.configureOutboundMessage(outboundMessageUrl(appUrl, '/webhooks/salesforce', secret), {
      sendSessionId: true,
    });
    const before = messenger.deliveries.length;
    const edited = sandbox.control.edit({ object: 'Opportunity', count: 3, seed: 2 });
    await messenger.idle();
    const deliveries = messenger.deliveries.slice(before);
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.status === 200 && d.acknowledged)).toBe(true);
    expect(await storedIds()).toEqual(expect.arrayContaining(edited));
    const userinfo = sandboxRequests.filter((r) => r.path === '/services/oauth2/userinfo');
    expect(userinfo).toEqual([expect.objectContaining({ status: 200 })]);
    // A second message in the same burst reuses the verdict.
    sandbox.control.edit({ object: 'Opportunity', count: 1, seed: 3 });
    await messenger.idle();
    expect(sandboxRequests.filter((r) => r.path === '/services/oauth2/userinfo')).toHaveLength(1);
    expect(messenger.deliveries.at(-1)).toMatchObject({ status: 200, acknowledged: true });
  }, 120_000);
});
