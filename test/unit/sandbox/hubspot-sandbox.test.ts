import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHubSpotSandbox, type HubSpotSandbox } from '../../../sandbox/hubspot/create-hubspot-sandbox.js';
import { decodeSignedUri } from '../../../sandbox/hubspot/webhooks.js';
import { loadAppManifest } from '../../../src/config/app-manifest.js';
import { appManifestPath } from '../../../src/lib/package-root.js';
import { hubspotSubscriptions } from '../../../src/manifest/hubspot-subscriptions.js';
import { FixedClock } from '../../helpers/fixed-clock.js';

type Json = Record<string, unknown>;

/** A webhook receiver that answers with the statuses it is told, in turn, and keeps every delivery. */
async function receiver(statuses: number[] = []): Promise<{
  url: string;
  statuses: number[];
  deliveries: Array<{ body: string; headers: Json }>;
  close: () => Promise<void>;
}> {
  const deliveries: Array<{ body: string; headers: Json }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ body: Buffer.concat(chunks).toString(), headers: req.headers as Json });
      res.writeHead(statuses.shift() ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    statuses,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('HubSpot sandbox', () => {
  const clock = new FixedClock();
  let sb: HubSpotSandbox;
  let url: string;
  const call = async (method: string, path: string, body?: unknown, token = sb.token) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json, headers: res.headers };
  };

  beforeAll(async () => {
    sb = createHubSpotSandbox({
      seed: 71,
      contacts: 200,
      companies: 20,
      deals: 60,
      asOf: '2026-11-01',
      clock,
      limits: 'off',
    });
    url = await sb.listen();
  });
  afterAll(async () => {
    await sb.close();
  });

  it('generates the same portal from the same seed, and exports its ground truth in HubSpot ids', () => {
    const again = createHubSpotSandbox({
      seed: 71,
      contacts: 200,
      companies: 20,
      deals: 60,
      asOf: '2026-11-01',
      clock,
      limits: 'off',
    });
    const first = sb.control.export();
    const second = again.control.export();
    expect(second.records.contacts.slice(0, 50)).toEqual(first.records.contacts.slice(0, 50));
    expect(second.associations['deals:line_items']).toEqual(first.associations['deals:line_items']);
    const truth = sb.control.truth() as {
      contactSegments: Record<string, string>;
      bundles: Array<{ aProductId: string }>;
      duplicates: string[][];
    };
    expect(Object.keys(truth.contactSegments)).toHaveLength(200);
    for (const id of Object.keys(truth.contactSegments)) expect(sb.state.get('contacts', Number(id))).toBeDefined();
    for (const b of truth.bundles) expect(sb.state.get('products', Number(b.aProductId))).toBeDefined();
    // Deals over 36 months, in both pipelines, with stage history and line items over the catalogue.
    const deals = first.records.deals;
    const closes = deals.map((d) => Date.parse(d.properties.closedate!));
    expect((Math.max(...closes) - Math.min(...closes)) / (30 * 86_400_000)).toBeGreaterThan(30);
    expect(new Set(deals.map((d) => d.properties.pipeline)).size).toBe(2);
    expect(deals.filter((d) => d.properties.hs_is_closed_won === 'true').length).toBeGreaterThan(5);
  });

  it('answers malformed requests with HubSpot 400 bodies', async () => {
    const badJson = await call('POST', '/crm/v3/objects/contacts', '{"properties":');
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      correlationId: expect.any(String),
    });
    expect((await call('POST', '/crm/v3/objects/contacts/batch/read', { inputs: 'x' })).status).toBe(400);
    expect((await call('GET', '/crm/v3/objects/contacts?limit=abc')).body.category).toBe('VALIDATION_ERROR');
    expect((await call('GET', '/crm/v3/objects/contacts?limit=101')).status).toBe(400);
    expect(
      (await call('POST', '/crm/v3/objects/contacts/search', { sorts: [{ propertyName: 'email', direction: 'UP' }] }))
        .status,
    ).toBe(400);
    const unknown = await call('GET', '/crm/v3/objects/widgets');
    expect(unknown.status).toBe(404);
    const tooManyFilters = await call('POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [
        { filters: Array.from({ length: 7 }, () => ({ propertyName: 'email', operator: 'HAS_PROPERTY' })) },
      ],
    });
    expect(tooManyFilters.status).toBe(400);
  });

  it('merges: the survivor keeps its id, gains the merged ids and links, and the merged id reads as the survivor', async () => {
    const [a, b] = sb.state.objects.contacts.ids.slice(10, 12) as [number, number];
    const bDeals = sb.state.associations.list('contacts', b, 'deals').map((l) => l.toId);
    const merged = await call('POST', '/crm/v3/objects/contacts/merge', {
      primaryObjectId: String(a),
      objectIdToMerge: String(b),
    });
    expect(merged.status).toBe(200);
    expect((merged.body.properties as Json).hs_merged_object_ids).toBe(String(b));
    const viaOldId = await call('GET', `/crm/v3/objects/contacts/${b}`);
    expect(viaOldId.body.id).toBe(String(a));
    for (const deal of bDeals)
      expect(sb.state.associations.list('contacts', a, 'deals').map((l) => l.toId)).toContain(deal);
    const archived = await call('GET', '/crm/v3/objects/contacts?archived=true&limit=100');
    expect((archived.body.results as Json[]).map((r) => r.id)).not.toContain(String(b));
  });

  it('archives restorably without moving the modified date; a privacy deletion is gone for good', async () => {
    const id = sb.state.objects.deals.ids[3]!;
    const before = sb.state.get('deals', id)!.properties.hs_lastmodifieddate;
    expect((await call('DELETE', `/crm/v3/objects/deals/${id}`)).status).toBe(204);
    const archived = (await call('GET', '/crm/v3/objects/deals?archived=true')).body.results as Json[];
    const entry = archived.find((r) => r.id === String(id))!;
    expect(entry.archived).toBe(true);
    expect((entry.properties as Json).hs_lastmodifieddate).toBe(before);
    clock.advance(1000);
    sb.control.restore('deals', id);
    expect(Date.parse(sb.state.get('deals', id)!.properties.hs_lastmodifieddate!)).toBeGreaterThan(Date.parse(before!));
    const gone = sb.state.objects.contacts.ids[20]!;
    expect((await call('POST', '/crm/v3/objects/contacts/gdpr-delete', { objectId: String(gone) })).status).toBe(204);
    expect((await call('GET', `/crm/v3/objects/contacts/${gone}`)).status).toBe(404);
    expect((await call('GET', `/crm/v3/objects/contacts/${gone}?archived=true`)).status).toBe(404);
  });

  it('keeps search behind the records by the indexing lag: old values, and no new records, until it catches up', async () => {
    sb.control.setSearchLag(5000);
    const id = sb.state.objects.contacts.ids[30]!;
    sb.control.edit('contacts', id, { jobtitle: 'Fresh title' });
    const created = sb.control.create('contacts', { email: 'lagging@example.org' });
    const find = (filters: Json[]) =>
      call('POST', '/crm/v3/objects/contacts/search', { filterGroups: [{ filters }], properties: ['jobtitle'] });
    expect((await find([{ propertyName: 'jobtitle', operator: 'EQ', value: 'Fresh title' }])).body.total).toBe(0);
    expect((await find([{ propertyName: 'email', operator: 'EQ', value: 'lagging@example.org' }])).body.total).toBe(0);
    clock.advance(5000);
    expect((await find([{ propertyName: 'jobtitle', operator: 'EQ', value: 'Fresh title' }])).body.total).toBe(1);
    expect((await find([{ propertyName: 'hs_object_id', operator: 'EQ', value: String(created.id) }])).body.total).toBe(
      1,
    );
    sb.control.setSearchLag(0);
  });

  it('delivers webhooks in signed batches of at most 100, retrying failures with growing waits', async () => {
    const hooks = await receiver([500, 503]);
    const webhooked = createHubSpotSandbox({
      seed: 72,
      contacts: 300,
      companies: 10,
      deals: 10,
      asOf: '2026-11-01',
      clock,
      limits: 'off',
      webhookUrl: hooks.url,
      webhookRetryBaseMs: 60_000,
    });
    try {
      const ids = webhooked.state.objects.contacts.ids;
      for (const id of ids.slice(0, 250)) webhooked.control.edit('contacts', id, { jobtitle: 'Batch' });
      webhooked.control.merge('contacts', ids[0]!, ids[1]!);
      webhooked.control.delete('contacts', ids[2]!);
      webhooked.control.privacyDelete(ids[3]!);
      await webhooked.control.flushWebhooks();
      const batches = hooks.deliveries.map((d) => JSON.parse(d.body) as Json[]);
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(100);
      // The two batches answered 500 and 503 came again, as attempt 1.
      expect(batches.map((b) => b[0]!.attemptNumber).filter((n) => n === 1)).toHaveLength(2);
      const events = new Map<string, Json>();
      for (const batch of batches) for (const e of batch) events.set(String(e.eventId), e);
      const all = [...events.values()];
      expect(all.filter((e) => e.subscriptionType === 'contact.propertyChange')).toHaveLength(250);
      expect(all.find((e) => e.subscriptionType === 'contact.merge')).toMatchObject({
        primaryObjectId: ids[0],
        mergedObjectIds: [ids[1]],
        newObjectId: ids[0],
      });
      expect(all.find((e) => e.subscriptionType === 'contact.deletion' && e.objectId === ids[2])).toBeDefined();
      expect(all.find((e) => e.subscriptionType === 'contact.privacyDeletion')).toMatchObject({ objectId: ids[3] });
      // Signatures exactly as HubSpot documents them: v1 = sha256(secret + body), v3 = HMAC(method + URI + body + timestamp).
      for (const d of hooks.deliveries) {
        expect(d.headers['x-hubspot-signature-version']).toBe('v1');
        const timestamp = String(d.headers['x-hubspot-request-timestamp']);
        const v3 = createHmac('sha256', webhooked.clientSecret)
          .update(`POST${hooks.url}${d.body}${timestamp}`)
          .digest('base64');
        expect(d.headers['x-hubspot-signature-v3']).toBe(v3);
      }
      // A receiver that keeps failing gets the batch again after 1, 2, then 4 minutes.
      hooks.statuses.push(500, 500, 500);
      const from = hooks.deliveries.length;
      webhooked.control.edit('contacts', ids[10]!, { jobtitle: 'Retried' });
      await webhooked.control.flushWebhooks();
      const retried = hooks.deliveries.slice(from);
      expect(retried.map((d) => (JSON.parse(d.body) as Json[])[0]!.attemptNumber)).toEqual([0, 1, 2, 3]);
      const at = retried.map((d) => Number(d.headers['x-hubspot-request-timestamp']));
      expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([60_000, 120_000, 240_000]);
    } finally {
      webhooked.context.webhooks.close();
      await hooks.close();
    }
  });

  it('sends only what the app subscribes to, as its manifest defines: crm-agent’s own properties never come back', async () => {
    const hooks = await receiver([]);
    const subscriptions = hubspotSubscriptions(loadAppManifest(appManifestPath()));
    expect(subscriptions).toContainEqual({ eventType: 'deal.propertyChange', propertyName: 'dealstage' });
    expect(subscriptions).toContainEqual({ eventType: 'contact.privacyDeletion' });
    expect(subscriptions.some((s) => s.propertyName?.startsWith('crm_agent_'))).toBe(false);
    const subscribed = createHubSpotSandbox({
      seed: 73,
      contacts: 20,
      companies: 5,
      deals: 10,
      asOf: '2026-11-01',
      clock,
      limits: 'off',
      webhookUrl: hooks.url,
      subscriptions,
    });
    try {
      const deal = subscribed.state.objects.deals.ids[0]!;
      // crm-agent's own properties are not among them (checked above), like any property the app does not watch.
      subscribed.control.edit('deals', deal, { dealname: 'Not watched' });
      subscribed.control.edit('deals', deal, { dealstage: 'contractsent' });
      await subscribed.control.flushWebhooks();
      const events = hooks.deliveries.flatMap((d) => JSON.parse(d.body) as Json[]);
      expect(events.map((e) => [e.subscriptionType, e.propertyName])).toEqual([['deal.propertyChange', 'dealstage']]);
    } finally {
      subscribed.context.webhooks.close();
      await hooks.close();
    }
  });

  it('signs the URI with only HubSpot’s listed escapes decoded', () => {
    expect(decodeSignedUri('https://x.example/a%3Ab%2Fc%3Fd%40e%20f%2Bg')).toBe('https://x.example/a:b/c?d@e%20f%2Bg');
  });

  it('plays a user through the control endpoints and reports what the portal holds', async () => {
    const created = await fetch(`${url}/__sandbox/objects/contacts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ properties: { email: 'ui@example.org', firstname: 'Ui' } }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await fetch(`${url}/__sandbox/objects/contacts/${id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ properties: { firstname: 'Edited' } }),
    });
    expect(sb.state.get('contacts', Number(id))!.properties.firstname).toBe('Edited');
    const exported = (await (await fetch(`${url}/__sandbox/export`)).json()) as {
      records: { contacts: Array<{ id: string }> };
    };
    expect(exported.records.contacts.map((c) => c.id)).toContain(id);
    await fetch(`${url}/__sandbox/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ serverErrors: { probability: 1, status: 502 } }),
    });
    expect((await call('GET', '/crm/v3/objects/contacts')).status).toBe(502);
    await fetch(`${url}/__sandbox/faults`, { method: 'DELETE' });
    expect((await call('GET', '/crm/v3/objects/contacts')).status).toBe(200);
    const stats = (await (await fetch(`${url}/__sandbox/stats`)).json()) as { requests: Json };
    expect(stats.requests['502']).toBe(1);
  });
});
