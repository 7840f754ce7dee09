import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssociationTypes, Client, Signature } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { startSandbox } from '../helpers/hubspot.js';

/** An ApiException's status and body (the official client throws them for every non-2xx). */
async function failure(
  promise: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code: number; body: unknown; headers: Record<string, string> };
    const body =
      typeof e.body === 'string'
        ? (JSON.parse(e.body) as Record<string, unknown>)
        : (e.body as Record<string, unknown>);
    return { code: e.code, body, headers: e.headers };
  }
  throw new Error('expected the call to fail');
}

const HUBSPOT_DEFINED = 'HUBSPOT_DEFINED' as never;

/**
 * The contract: the official @hubspot/api-client 13.5.0, pointed at the sandbox with `basePath` and otherwise
 * unchanged, works against every endpoint the sandbox serves, and gets HubSpot's errors where HubSpot gives them.
 */
describe('@hubspot/api-client against the HubSpot sandbox', () => {
  let sb: HubSpotSandbox;
  let url: string;
  let hubspot: Client;
  const clock = new FixedClock();

  beforeAll(async () => {
    ({ sb, url } = await startSandbox({ seed: 61, contacts: 300, companies: 40, deals: 80, limits: 'off', clock }));
    hubspot = new Client({ accessToken: sb.token, basePath: url, numberOfApiCallRetries: 0 });
  });
  afterAll(async () => {
    await sb.close();
  });

  describe('CRM objects v3', () => {
    it('lists with paging, properties and associations, and reads by id or by email', async () => {
      const page = await hubspot.crm.contacts.basicApi.getPage(100, undefined, ['email', 'firstname'], undefined, [
        'companies',
      ]);
      expect(page.results).toHaveLength(100);
      expect(page.paging?.next?.after).toBeDefined();
      const first = page.results[0]!;
      expect(first.properties.email).toMatch(/@/);
      expect(first.createdAt).toBeInstanceOf(Date);
      expect(first.associations?.companies?.results[0]?.type).toBe('contact_to_company');
      const next = await hubspot.crm.contacts.basicApi.getPage(100, page.paging!.next!.after);
      expect(Number(next.results[0]!.id)).toBeGreaterThan(Number(page.results[99]!.id));
      const byEmail = await hubspot.crm.contacts.basicApi.getById(
        first.properties.email!,
        ['firstname'],
        undefined,
        undefined,
        false,
        'email',
      );
      expect(byEmail.id).toBe(first.id);
      const all = await hubspot.crm.contacts.getAll(100);
      expect(all).toHaveLength(300);
    });

    it('creates, updates (values as strings), archives and reads archived records', async () => {
      const created = await hubspot.crm.contacts.basicApi.create({
        properties: { email: 'ada@example.org', firstname: 'Ada', hs_lead_status: 'NEW' },
        associations: [],
      });
      expect(created.id).toMatch(/^\d+$/);
      expect(created.properties.hs_lead_status).toBe('NEW');
      const duplicate = await failure(
        hubspot.crm.contacts.basicApi.create({ properties: { email: 'ADA@example.org' }, associations: [] }),
      );
      expect(duplicate.code).toBe(409);
      expect(duplicate.body.message).toBe(`Contact already exists. Existing ID: ${created.id}`);
      const updated = await hubspot.crm.contacts.basicApi.update(created.id, {
        properties: { firstname: 'Augusta', jobtitle: '' },
      });
      expect(updated.properties.firstname).toBe('Augusta');
      await hubspot.crm.contacts.basicApi.archive(created.id);
      expect((await failure(hubspot.crm.contacts.basicApi.getById(created.id))).code).toBe(404);
      const archived = await hubspot.crm.contacts.basicApi.getById(created.id, undefined, undefined, undefined, true);
      expect(archived.archived).toBe(true);
      expect(archived.archivedAt).toBeInstanceOf(Date);
    });

    it('batch read/create/update/upsert/archive, with a 207 and HubSpot error entries on partial failure', async () => {
      const ids = (await hubspot.crm.deals.basicApi.getPage(3)).results.map((r) => r.id);
      const read = await hubspot.crm.deals.batchApi.read({
        inputs: [...ids.map((id) => ({ id })), { id: '999999999' }],
        properties: ['dealname', 'amount'],
        propertiesWithHistory: ['dealstage'],
      });
      expect(read.results).toHaveLength(3);
      expect('errors' in read && read.errors?.[0]?.category).toBe('OBJECT_NOT_FOUND');
      expect(read.results[0]!.propertiesWithHistory?.dealstage?.length).toBeGreaterThan(0);
      const created = await hubspot.crm.companies.batchApi.create({
        inputs: [
          { properties: { name: 'Batch One', domain: 'one.example.com' }, associations: [] },
          { properties: { name: 'Batch Two', numberofemployees: 'many' }, associations: [] },
        ],
      });
      expect(created.results).toHaveLength(1);
      expect('errors' in created && created.errors?.[0]?.category).toBe('VALIDATION_ERROR');
      const updated = await hubspot.crm.companies.batchApi.update({
        inputs: [{ id: created.results[0]!.id, properties: { industry: 'RETAIL' } }],
      });
      expect(updated.results[0]!.properties.industry).toBe('RETAIL');
      const upserted = await hubspot.crm.contacts.batchApi.upsert({
        inputs: [
          { id: 'grace@example.org', idProperty: 'email', properties: { firstname: 'Grace' } },
          {
            id: (await hubspot.crm.contacts.basicApi.getPage(1, undefined, ['email'])).results[0]!.properties.email!,
            idProperty: 'email',
            properties: { jobtitle: 'Upserted' },
          },
        ],
      });
      expect(upserted.results.map((r) => r._new)).toEqual([true, false]);
      const byNonUnique = await failure(
        hubspot.crm.contacts.batchApi.upsert({ inputs: [{ id: 'x', idProperty: 'firstname', properties: {} }] }),
      );
      expect(byNonUnique.code).toBe(400);
      expect(byNonUnique.body.message).toMatch(/non-unique/);
      await hubspot.crm.companies.batchApi.archive({ inputs: [{ id: created.results[0]!.id }] });
      expect((await failure(hubspot.crm.companies.basicApi.getById(created.results[0]!.id))).code).toBe(404);
      const tooMany = await failure(
        hubspot.crm.deals.batchApi.read({
          inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i + 1) })),
          properties: [],
          propertiesWithHistory: [],
        }),
      );
      expect(tooMany.code).toBe(400);
    });

    it('serves line items, products and tasks, with task associations by HubSpot type ids', async () => {
      const items = await hubspot.crm.lineItems.basicApi.getPage(5, undefined, [
        'hs_product_id',
        'quantity',
        'price',
        'amount',
      ]);
      expect(items.results[0]!.properties.hs_product_id).toMatch(/^\d+$/);
      const products = await hubspot.crm.products.basicApi.getPage(100, undefined, ['hs_sku', 'price']);
      expect(products.results.length).toBeGreaterThan(10);
      const contact = (await hubspot.crm.contacts.basicApi.getPage(1)).results[0]!.id;
      const deal = (await hubspot.crm.deals.basicApi.getPage(1)).results[0]!.id;
      const task = await hubspot.crm.objects.tasks.basicApi.create({
        properties: {
          hs_timestamp: '2026-12-01T09:00:00.000Z',
          hs_task_subject: 'Call about renewal',
          hs_task_status: 'NOT_STARTED',
          hs_task_priority: 'HIGH',
          hs_task_type: 'CALL',
        },
        associations: [
          {
            to: { id: contact },
            types: [{ associationCategory: HUBSPOT_DEFINED, associationTypeId: AssociationTypes.taskToContact }],
          },
          {
            to: { id: deal },
            types: [{ associationCategory: HUBSPOT_DEFINED, associationTypeId: AssociationTypes.taskToDeal }],
          },
        ],
      });
      const linked = await hubspot.crm.associations.v4.basicApi.getPage('tasks', task.id, 'contacts');
      expect(linked.results[0]?.toObjectId).toBe(Number(contact));
      expect(linked.results[0]?.associationTypes[0]?.typeId).toBe(204);
      const withoutDue = await failure(
        hubspot.crm.objects.tasks.basicApi.create({ properties: { hs_task_subject: 'No due date' }, associations: [] }),
      );
      expect(withoutDue.code).toBe(400);
    });
  });

  describe('search', () => {
    it('filters, sorts (one sort) and pages with after, returning the total', async () => {
      const found = await hubspot.crm.contacts.searchApi.doSearch({
        filterGroups: [
          {
            filters: [{ propertyName: 'lifecyclestage', operator: 'IN' as never, values: ['customer', 'opportunity'] }],
          },
          { filters: [{ propertyName: 'hs_email_open', operator: 'GT' as never, value: '40' }] },
        ],
        sorts: ['-createdate'],
        properties: ['email', 'lifecyclestage', 'hs_email_open', 'createdate'],
        limit: 20,
        after: '0',
      });
      expect(found.total).toBeGreaterThan(20);
      expect(found.results).toHaveLength(20);
      for (const r of found.results) {
        expect(
          ['customer', 'opportunity'].includes(r.properties.lifecyclestage!) || Number(r.properties.hs_email_open) > 40,
        ).toBe(true);
      }
      const created = found.results.map((r) => Date.parse(r.properties.createdate!));
      expect([...created].sort((a, b) => b - a)).toEqual(created);
      const next = await hubspot.crm.contacts.searchApi.doSearch({
        filterGroups: found.results.length ? [] : [],
        sorts: ['-createdate'],
        limit: 10,
        after: found.paging!.next!.after,
      });
      expect(next.results).toHaveLength(10);
      const token = await hubspot.crm.companies.searchApi.doSearch({
        filterGroups: [
          { filters: [{ propertyName: 'domain', operator: 'CONTAINS_TOKEN' as never, value: '*.example.com' }] },
        ],
        limit: 200,
      });
      expect(token.total).toBe(40);
    });

    it('answers 400 for paging past 10,000 results and for more than 200 a page', async () => {
      const past = await failure(hubspot.crm.contacts.searchApi.doSearch({ limit: 10, after: '10000' }));
      expect(past.code).toBe(400);
      expect(past.body.category).toBe('VALIDATION_ERROR');
      expect((await failure(hubspot.crm.contacts.searchApi.doSearch({ limit: 201 }))).code).toBe(400);
      const badOperator = await failure(
        hubspot.crm.contacts.searchApi.doSearch({
          filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE' as never, value: 'x' }] }],
        }),
      );
      expect(badOperator.code).toBe(400);
    });
  });

  describe('properties v3 and groups', () => {
    it('creates once (409 OBJECT_ALREADY_EXISTS after), replaces options on update, validates values on writes', async () => {
      const group = await hubspot.crm.properties.groupsApi.create('contacts', {
        name: 'crm_agent',
        label: 'crm-agent',
        displayOrder: 1,
      });
      expect(group.name).toBe('crm_agent');
      const property = await hubspot.crm.properties.coreApi.create('contacts', {
        name: 'acme_segment',
        label: 'Segment',
        type: 'enumeration' as never,
        fieldType: 'select' as never,
        groupName: 'crm_agent',
        options: [
          { label: 'Champions', value: 'champions', displayOrder: 0, hidden: false },
          { label: 'Lapsed', value: 'lapsed', displayOrder: 1, hidden: false },
        ],
      });
      expect(property.options).toHaveLength(2);
      const again = await failure(
        hubspot.crm.properties.coreApi.create('contacts', {
          name: 'acme_segment',
          label: 'Other',
          type: 'string' as never,
          fieldType: 'text' as never,
          groupName: 'crm_agent',
        }),
      );
      expect(again.code).toBe(409);
      expect(again.body).toMatchObject({
        category: 'OBJECT_ALREADY_EXISTS',
        subCategory: 'Properties.PROPERTY_WITH_NAME_EXISTS',
        message: "A property named 'acme_segment' already exists.",
      });
      const updated = await hubspot.crm.properties.coreApi.update('contacts', 'acme_segment', {
        options: [{ label: 'Cold', value: 'cold', displayOrder: 0, hidden: false }],
      });
      expect(updated.options.map((o) => o.value)).toEqual(['cold']);
      const wrongOption = await failure(
        hubspot.crm.contacts.basicApi.create({
          properties: { email: 'x@example.org', acme_segment: 'champions' },
          associations: [],
        }),
      );
      expect(wrongOption.code).toBe(400);
      expect(wrongOption.body.message).toMatch(/^Property values were not valid: .*INVALID_OPTION/);
      const unknown = await failure(
        hubspot.crm.contacts.basicApi.create({
          properties: { email: 'y@example.org', no_such_property: '1' },
          associations: [],
        }),
      );
      expect(unknown.body.message).toMatch(/PROPERTY_DOESNT_EXIST/);
      const notANumber = await failure(
        hubspot.crm.deals.basicApi.create({ properties: { dealname: 'x', amount: 'lots' }, associations: [] }),
      );
      expect(notANumber.code).toBe(400);
      const notMidnight = await failure(
        hubspot.crm.properties.coreApi
          .create('deals', {
            name: 'acme_renewal',
            label: 'Renewal',
            type: 'date' as never,
            fieldType: 'date' as never,
            groupName: 'dealinformation',
          })
          .then(() =>
            hubspot.crm.deals.basicApi.create({
              properties: { dealname: 'x', acme_renewal: '2026-01-01T10:00:00Z' },
              associations: [],
            }),
          ),
      );
      expect(notMidnight.body.message).toMatch(/INVALID_DATE/);
      const all = await hubspot.crm.properties.coreApi.getAll('contacts');
      expect(all.results.map((p) => p.name)).toEqual(expect.arrayContaining(['email', 'acme_segment']));
      expect((await hubspot.crm.properties.coreApi.getByName('contacts', 'acme_segment')).label).toBe('Segment');
      await hubspot.crm.properties.coreApi.archive('contacts', 'acme_segment');
      expect((await failure(hubspot.crm.properties.coreApi.getByName('contacts', 'acme_segment'))).code).toBe(404);
      expect((await hubspot.crm.properties.groupsApi.getAll('contacts')).results.map((g) => g.name)).toContain(
        'crm_agent',
      );
      await hubspot.crm.properties.groupsApi.archive('contacts', 'crm_agent');
    });
  });

  describe('associations v4', () => {
    it('creates labelled and default links, lists them per record, and archives them', async () => {
      const deal = (await hubspot.crm.deals.basicApi.getPage(1)).results[0]!.id;
      const contacts = (await hubspot.crm.contacts.basicApi.getPage(3)).results.map((r) => r.id);
      await hubspot.crm.associations.v4.basicApi.create('deals', deal, 'contacts', contacts[0]!, [
        { associationCategory: HUBSPOT_DEFINED, associationTypeId: AssociationTypes.dealToContact },
      ]);
      const made = await hubspot.crm.associations.v4.basicApi.createDefault('deals', deal, 'contacts', contacts[1]!);
      expect(made.results[0]?.associationSpec.associationTypeId).toBe(3);
      const listed = await hubspot.crm.associations.v4.basicApi.getPage('deals', deal, 'contacts');
      expect(listed.results.map((r) => String(r.toObjectId))).toEqual(
        expect.arrayContaining([contacts[0], contacts[1]]),
      );
      const reverse = await hubspot.crm.associations.v4.basicApi.getPage('contacts', contacts[0]!, 'deals');
      expect(reverse.results.find((r) => String(r.toObjectId) === deal)?.associationTypes[0]?.typeId).toBe(4);
      await hubspot.crm.associations.v4.basicApi.archive('deals', deal, 'contacts', contacts[0]!);
      const after = await hubspot.crm.associations.v4.basicApi.getPage('deals', deal, 'contacts');
      expect(after.results.map((r) => String(r.toObjectId))).not.toContain(contacts[0]);
      const wrongType = await failure(
        hubspot.crm.associations.v4.basicApi.create('deals', deal, 'contacts', contacts[2]!, [
          { associationCategory: HUBSPOT_DEFINED, associationTypeId: AssociationTypes.contactToDeal },
        ]),
      );
      expect(wrongType.code).toBe(400);
    });

    it('batch reads up to 1,000 inputs, each paged on its own', async () => {
      const [big, small] = (await hubspot.crm.deals.basicApi.getPage(3)).results.slice(1).map((r) => r.id);
      // 560 contacts on one deal: more than one page (500) for that input; one page for the other.
      for (let i = 0; i < 260; i++) sb.control.create('contacts', { email: `bulk.${i}@example.net` });
      for (const id of sb.state.objects.contacts.ids) {
        if (sb.state.get('contacts', id)) sb.control.associate('deals', Number(big), 'contacts', id, [3]);
      }
      await hubspot.crm.associations.v4.batchApi.create('deals', 'contacts', {
        inputs: [
          {
            _from: { id: small! },
            to: { id: String(sb.state.objects.contacts.ids[5]) },
            types: [{ associationCategory: HUBSPOT_DEFINED, associationTypeId: 3 }],
          },
        ],
      });
      const linked = sb.state.associations.count('deals', Number(big), 'contacts');
      expect(linked).toBeGreaterThan(500);
      const first = await hubspot.crm.associations.v4.batchApi.getPage('deals', 'contacts', {
        inputs: [{ id: big! }, { id: small! }],
      });
      const byFrom = new Map(first.results.map((r) => [r._from.id, r]));
      expect(byFrom.get(small!)?.paging).toBeUndefined();
      const page = byFrom.get(big!)!;
      expect(page.to).toHaveLength(500);
      const rest = await hubspot.crm.associations.v4.batchApi.getPage('deals', 'contacts', {
        inputs: [{ id: big!, after: page.paging!.next!.after }],
      });
      expect(rest.results[0]!.paging).toBeUndefined();
      expect(new Set([...page.to, ...rest.results[0]!.to].map((t) => t.toObjectId)).size).toBe(linked);
      const tooMany = await failure(
        hubspot.crm.associations.v4.batchApi.getPage('deals', 'contacts', {
          inputs: Array.from({ length: 1001 }, (_, i) => ({ id: String(i + 1) })),
        }),
      );
      expect(tooMany.code).toBe(400);
    });
  });

  describe('owners and pipelines', () => {
    it('lists owners and deal pipelines with stage metadata', async () => {
      const owners = await hubspot.crm.owners.ownersApi.getPage(undefined, undefined, 100, false);
      expect(owners.results).toHaveLength(10);
      expect(owners.results[0]!.email).toMatch(/@seller\.example\.com$/);
      // `type` is a required PublicOwner field (PERSON or QUEUE) in HubSpot's CRM_Crm_Owners-v3 spec.
      expect(owners.results.every((o) => o.type === 'PERSON')).toBe(true);
      const pipelines = await hubspot.crm.pipelines.pipelinesApi.getAll('deals');
      const sales = pipelines.results.find((p) => p.id === 'default')!;
      expect(sales.stages.find((s) => s.id === 'closedwon')?.metadata).toEqual({
        isClosed: 'true',
        probability: '1.0',
      });
    });
  });

  describe('OAuth', () => {
    it('authorizes at once, exchanges the code (v1 and 2026-03 with PKCE), describes, refreshes and revokes tokens', async () => {
      const redirectUri = 'https://crm-agent.example.com/oauth/hubspot/callback';
      const authorizeUrl = new URL(
        hubspot.oauth.getAuthorizationUrl(
          sb.clientId,
          redirectUri,
          'oauth crm.objects.contacts.read',
          undefined,
          'state-123',
        ),
      );
      const approve = async (extra: Record<string, string> = {}) => {
        const local = new URL(`${url}${authorizeUrl.pathname}${authorizeUrl.search}`);
        for (const [k, v] of Object.entries(extra)) local.searchParams.set(k, v);
        const res = await fetch(local, { redirect: 'manual' });
        expect(res.status).toBe(302);
        const back = new URL(res.headers.get('location')!);
        expect(back.origin + back.pathname).toBe(redirectUri);
        expect(back.searchParams.get('state')).toBe('state-123');
        return back.searchParams.get('code')!;
      };
      const tokens = await hubspot.oauth.tokensApi.create(
        'authorization_code',
        await approve(),
        redirectUri,
        sb.clientId,
        sb.clientSecret,
      );
      expect(tokens.expiresIn).toBe(1800);
      const info = await hubspot.oauth.accessTokensApi.get(tokens.accessToken);
      expect(info.hubId).toBe(sb.portalId);
      expect(info.scopes).toEqual(['oauth', 'crm.objects.contacts.read']);
      const refreshed = await hubspot.oauth.tokensApi.create(
        'refresh_token',
        undefined,
        undefined,
        sb.clientId,
        sb.clientSecret,
        tokens.refreshToken,
      );
      expect(refreshed.accessToken).not.toBe(tokens.accessToken);
      expect((await hubspot.oauth.refreshTokensApi.get(tokens.refreshToken)).hubId).toBe(sb.portalId);

      // PKCE on the current endpoint: a wrong verifier is refused, the right one accepted.
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const exchange = (code: string, codeVerifier: string) =>
        fetch(`${url}/oauth/2026-03/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: sb.clientId,
            client_secret: sb.clientSecret,
            redirect_uri: redirectUri,
            code,
            code_verifier: codeVerifier,
          }),
        });
      const wrong = await exchange(
        await approve({ code_challenge: challenge, code_challenge_method: 'S256' }),
        'not-the-verifier',
      );
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
      const right = await exchange(
        await approve({ code_challenge: challenge, code_challenge_method: 'S256' }),
        verifier,
      );
      expect(right.status).toBe(200);
      // `token_use` is required in the 2026-03 AccessTokenResponse (HubSpot's Auth_Oauth-2026-03 spec).
      expect(await right.json()).toMatchObject({
        hubId: sb.portalId,
        expires_in: 1800,
        token_type: 'bearer',
        token_use: 'access_token',
      });

      // An OAuth token expires after 30 minutes: HubSpot's 401 EXPIRED_AUTHENTICATION.
      const withOauth = new Client({ accessToken: refreshed.accessToken, basePath: url, numberOfApiCallRetries: 0 });
      expect((await withOauth.crm.contacts.basicApi.getPage(1)).results).toHaveLength(1);
      clock.advance(31 * 60_000);
      const expired = await failure(withOauth.crm.contacts.basicApi.getPage(1));
      expect(expired.code).toBe(401);
      expect(expired.body.category).toBe('EXPIRED_AUTHENTICATION');

      await hubspot.oauth.refreshTokensApi.archive(tokens.refreshToken);
      const refused = await failure(
        hubspot.oauth.tokensApi.create(
          'refresh_token',
          undefined,
          undefined,
          sb.clientId,
          sb.clientSecret,
          tokens.refreshToken,
        ),
      );
      expect(refused.code).toBe(400);
      expect(refused.body).toMatchObject({ status: 'BAD_REFRESH_TOKEN', error: 'invalid_grant' });
      const noScope = new Client({
        accessToken: sb.control.issueTokens(['oauth']).accessToken,
        basePath: url,
        numberOfApiCallRetries: 0,
      });
      const missing = await failure(noScope.crm.deals.basicApi.getPage(1));
      expect(missing.code).toBe(403);
      expect(missing.body.category).toBe('MISSING_SCOPES');
      const bad = await failure(new Client({ accessToken: 'nope', basePath: url }).crm.deals.basicApi.getPage(1));
      expect(bad.code).toBe(401);
      expect(bad.body.category).toBe('INVALID_AUTHENTICATION');
    });
  });

  describe('webhooks and custom workflow actions', () => {
    let receiver: Server;
    let receiverUrl: string;
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string; url: string }> = [];
    beforeAll(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), url: req.url ?? '' });
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ outputFields: { hs_execution_state: 'BLOCK' } }));
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    });

    it('manages webhook settings and subscriptions with the developer API key', async () => {
      const developer = new Client({ developerApiKey: sb.developerApiKey, basePath: url, numberOfApiCallRetries: 0 });
      const settings = await developer.webhooks.settingsApi.configure(sb.appId, {
        targetUrl: `${receiverUrl}/webhooks/hubspot`,
        throttling: { maxConcurrentRequests: 10 },
      });
      expect(settings.targetUrl).toBe(`${receiverUrl}/webhooks/hubspot`);
      const subscription = await developer.webhooks.subscriptionsApi.create(sb.appId, {
        eventType: 'contact.propertyChange' as never,
        propertyName: 'firstname',
        active: true,
      });
      expect((await developer.webhooks.subscriptionsApi.getAll(sb.appId)).results.map((s) => s.id)).toContain(
        subscription.id,
      );
      const wrongKey = await failure(
        new Client({ developerApiKey: 'wrong', basePath: url }).webhooks.subscriptionsApi.getAll(sb.appId),
      );
      expect(wrongKey.code).toBe(401);
      // A subscribed change is delivered, signed v1 and v3 exactly as the official client computes them.
      const contact = sb.state.objects.contacts.ids[0]!;
      sb.control.edit('contacts', contact, { firstname: 'Webhooked', jobtitle: 'not subscribed' });
      await sb.control.flushWebhooks();
      const delivery = received.find((r) => r.url === '/webhooks/hubspot')!;
      const events = JSON.parse(delivery.body) as Array<Record<string, unknown>>;
      expect(events).toEqual([
        expect.objectContaining({
          subscriptionType: 'contact.propertyChange',
          propertyName: 'firstname',
          propertyValue: 'Webhooked',
          objectId: contact,
          portalId: sb.portalId,
          subscriptionId: subscription.id,
          changeSource: 'CRM_UI',
        }),
      ]);
      expect(
        Signature.isValid({
          signature: String(delivery.headers['x-hubspot-signature']),
          clientSecret: sb.clientSecret,
          requestBody: delivery.body,
          signatureVersion: 'v1',
        }),
      ).toBe(true);
      const timestamp = Number(delivery.headers['x-hubspot-request-timestamp']);
      expect(
        Signature.getSignature('POST', 'v3', {
          signature: '',
          clientSecret: sb.clientSecret,
          requestBody: delivery.body,
          url: `${receiverUrl}/webhooks/hubspot`,
          timestamp,
        }),
      ).toBe(delivery.headers['x-hubspot-signature-v3']);
    });

    it('defines a custom workflow action, calls it signed v2, and completes the blocked execution by callback', async () => {
      const developer = new Client({ developerApiKey: sb.developerApiKey, basePath: url, numberOfApiCallRetries: 0 });
      const definition = await developer.automation.actions.definitionsApi.create(sb.appId, {
        actionUrl: `${receiverUrl}/actions/score`,
        published: true,
        objectTypes: ['CONTACT'],
        inputFields: [],
        outputFields: [],
        functions: [],
        labels: { en: { actionName: 'Score with crm-agent' } },
      } as never);
      expect((await developer.automation.actions.definitionsApi.getById(definition.id, sb.appId)).actionUrl).toBe(
        `${receiverUrl}/actions/score`,
      );
      const execution = await sb.control.executeWorkflowAction(definition.id, sb.state.objects.contacts.ids[1]!);
      expect(execution.response).toEqual({ outputFields: { hs_execution_state: 'BLOCK' } });
      const call = received.find((r) => r.url === '/actions/score')!;
      expect(
        Signature.isValid({
          signature: String(call.headers['x-hubspot-signature']),
          clientSecret: sb.clientSecret,
          requestBody: call.body,
          signatureVersion: 'v2',
          url: `${receiverUrl}/actions/score`,
          method: 'POST',
        }),
      ).toBe(true);
      const portal = new Client({
        accessToken: sb.control.issueTokens().accessToken,
        basePath: url,
        numberOfApiCallRetries: 0,
      });
      await portal.automation.actions.callbacksApi.complete(execution.callbackId, {
        outputFields: { hs_execution_state: 'SUCCESS' },
      });
      expect(sb.control.callback(execution.callbackId)?.status).toBe('COMPLETED');
      expect(
        (await failure(portal.automation.actions.callbacksApi.complete('ap-unknown', { outputFields: {} }))).code,
      ).toBe(404);
    });
  });

  describe('rate limits', () => {
    it('counts 110 requests per 10 s with the rate-limit headers, then answers the TEN_SECONDLY_ROLLING 429', async () => {
      const limited = await startSandbox({ seed: 62, contacts: 5, companies: 1, deals: 1, clock: new FixedClock() });
      try {
        const client = new Client({ accessToken: limited.sb.token, basePath: limited.url, numberOfApiCallRetries: 0 });
        for (let i = 0; i < 110; i++) await client.crm.contacts.basicApi.getPage(1);
        const refused = await failure(client.crm.contacts.basicApi.getPage(1));
        expect(refused.code).toBe(429);
        expect(refused.body).toMatchObject({
          errorType: 'RATE_LIMIT',
          policyName: 'TEN_SECONDLY_ROLLING',
          message: 'You have reached your ten_secondly_rolling limit.',
        });
        expect(refused.headers['x-hubspot-ratelimit-remaining']).toBe('0');
        expect(refused.headers['x-hubspot-ratelimit-max']).toBe('110');
        // Search has its own budget: 5 a second, the "secondly" body, no rate-limit headers.
        const searches = await Promise.all(
          Array.from({ length: 7 }, () =>
            client.crm.contacts.searchApi.doSearch({ limit: 1 }).then(
              () => null,
              (e: unknown) => e,
            ),
          ),
        );
        const searchRefusals = searches.filter((e) => e !== null) as Array<{
          code: number;
          body: Record<string, unknown>;
          headers: Record<string, string>;
        }>;
        expect(searchRefusals).toHaveLength(2);
        expect(searchRefusals[0]!.code).toBe(429);
        expect(searchRefusals[0]!.body.message).toBe('You have reached your secondly limit.');
        expect(Object.keys(searchRefusals[0]!.headers).filter((h) => h.startsWith('x-hubspot-ratelimit'))).toEqual([]);
      } finally {
        await limited.sb.close();
      }
    });
  });
});
