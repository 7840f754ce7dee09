import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Tenant } from '../../src/domain/tenant.js';
import { createApp } from '../../src/http/create-app.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import { createInstallRouter } from '../../src/install/install-router.js';
import { silentLogger } from '../../src/lib/logger.js';
import type { Runtime } from '../../src/main.js';
import type { RecordChanges } from '../../src/ports/crm-connector.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { REDIRECT_URI, SF_CLIENT, salesforceRuntime, startSandbox } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/temp-dir.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

describe('Salesforce connector: records by id, and the OAuth install', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-02T08:00:00.000Z'));
  let sandbox: Sandbox;
  let runtime: Runtime;
  let tenant: Tenant;

  beforeAll(async () => {
    sandbox = await startSandbox({ clock, seed: 23, accounts: 20, contacts: 200, opportunities: 80 });
    runtime = await salesforceRuntime(dir.path, sandbox, { clock });
    tenant = await connectWithToken(runtime, {
      crm: 'salesforce',
      token: 'sandbox-salesforce-token',
      apiBaseUrl: sandbox.baseUrl,
    });
  });
  afterAll(async () => {
    await runtime.close();
    await sandbox.close();
    dir.remove();
  });

  it('reads a few records by id as the sync maps them, with removals for deleted, merged and unknown ids', async () => {
    const contacts = sandbox.control.records('Contact');
    const [deleted, master, duplicate, live] = contacts.map((c) => c.Id as string);
    sandbox.control.remove({ object: 'Contact', ids: [deleted!] });
    sandbox.control.merge('Contact', master!, [duplicate!]);
    const lead = sandbox.control.records('Lead')[0]!.Id as string;
    const account = sandbox.control.records('Account')[0]!.Id as string;
    const roles = sandbox.control.records('OpportunityContactRole');
    const opportunity = roles[0]!.OpportunityId as string;
    const unknown = `003${'0'.repeat(12)}`;

    // What a full sync reads, as the reference.
    const connector = runtime.connectorFor(tenant);
    const synced: RecordChanges[] = [];
    for (const stream of connector.streams()) {
      for await (const page of stream.read({ mode: 'full', cursor: undefined, signal: new AbortController().signal }))
        synced.push(page.changes);
    }
    const all = <T>(pick: (c: RecordChanges) => T[] | undefined): T[] => synced.flatMap((c) => pick(c) ?? []);

    const read = await connector.readRecords!([
      { type: 'contact', id: live! },
      { type: 'contact', id: lead },
      { type: 'contact', id: master! },
      { type: 'contact', id: deleted! },
      { type: 'contact', id: duplicate! },
      { type: 'contact', id: unknown },
      { type: 'company', id: account },
      { type: 'deal', id: opportunity },
      { type: 'deal', id: live! },
    ]);
    const byId = <T extends { id: string }>(list: T[] | undefined, id: string) => list?.find((r) => r.id === id);
    const syncedContacts = all((c) => c.contacts);
    for (const id of [live!, lead, master!]) {
      expect(byId(read.contacts, id)).toBeDefined();
      expect(byId(read.contacts, id)).toEqual(byId(syncedContacts, id));
    }
    expect(byId(read.companies, account)).toEqual(
      byId(
        all((c) => c.companies),
        account,
      ),
    );
    expect(byId(read.deals, opportunity)).toBeDefined();
    expect(byId(read.deals, opportunity)).toEqual(
      byId(
        all((c) => c.deals),
        opportunity,
      ),
    );
    expect(read.contacts).toHaveLength(3);

    expect(read.removals).toEqual(
      expect.arrayContaining([
        all((c) => c.removals).find((r) => r.id === deleted),
        { ...all((c) => c.removals).find((r) => r.id === duplicate), mergedInto: master },
        { type: 'contact', id: unknown, at: new Date(clock.now()).toISOString(), mergedInto: null },
      ]),
    );
    expect(read.removals).toHaveLength(3);
    expect(read.rejected).toEqual([{ type: 'deal', id: live, reason: 'not the id of a Salesforce deal' }]);

    // The opportunity's contacts and stage history, as the grouped streams give them.
    const links = (changes: RecordChanges[]) =>
      changes
        .flatMap((c) => c.associations ?? [])
        .filter((a) => a.fromType === 'deal' && a.toType === 'contact')
        .flatMap((a) => a.links.filter((l) => l.fromId === opportunity));
    expect(links([read])).toEqual(links(synced));
    expect(links([read]).length).toBeGreaterThan(0);
    const history = (list: NonNullable<RecordChanges['stageHistory']>) => list.filter((h) => h.dealId === opportunity);
    expect(history(read.stageHistory ?? [])).toEqual(history(all((c) => c.stageHistory)));
    expect(history(read.stageHistory ?? []).length).toBeGreaterThan(0);
  });

  it('builds the authorize URL with PKCE and trades the code for tokens: the org id is the account', async () => {
    const module = runtime.module('salesforce');
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = new URL(
      module.authorizeUrl!({
        redirectUri: REDIRECT_URI,
        state: 'state-42',
        codeChallenge: challenge,
        scopes: ['api', 'refresh_token', 'id'],
        optionalScopes: [],
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.baseUrl}/services/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: SF_CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'api refresh_token id',
      state: 'state-42',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const approved = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    expect(approved.searchParams.get('state')).toBe('state-42');
    const code = approved.searchParams.get('code')!;

    await expect(
      module.exchangeCode!({ code, redirectUri: REDIRECT_URI, codeVerifier: 'not-the-verifier', fetch }),
    ).rejects.toMatchObject({ code: 'CRM_API_ERROR', details: { crmCode: 'invalid_grant' } });

    const again = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    const { grant, account } = await module.exchangeCode!({
      code: again.searchParams.get('code')!,
      redirectUri: REDIRECT_URI,
      codeVerifier: verifier,
      fetch,
    });
    expect(account).toEqual({
      externalId: sandbox.state.orgId,
      name: expect.any(String),
      apiBaseUrl: sandbox.baseUrl,
      userId: sandbox.ids.apiUserId,
    });
    expect(grant).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      instanceUrl: sandbox.baseUrl,
      scopes: ['api', 'refresh_token', 'id'],
    });
    const identity = await module.identify({ apiBaseUrl: grant.instanceUrl!, accessToken: grant.accessToken, fetch });
    expect(identity.externalId).toBe(sandbox.state.orgId);
  });

  it('installs through the install routes: redirect to Salesforce, callback, tenant keyed by the org id', async () => {
    const installed: Tenant[] = [];
    const publicUrl = 'https://agent.example.com';
    const app = createApp({
      store: runtime.store,
      logger: silentLogger(),
      version: 't',
      routers: [
        createInstallRouter({
          store: runtime.store,
          credentials: () => runtime.credentials(),
          clock,
          logger: silentLogger(),
          manifest: runtime.manifest,
          publicUrl,
          module: (crm) => runtime.module(crm),
          fetch,
          onInstalled: async (t) => {
            installed.push(t);
          },
          dashboardPath: '/dashboard',
        }),
      ],
    });
    const start = await request(app).get('/install/salesforce');
    expect(start.status).toBe(302);
    const cookie = (start.headers['set-cookie'] as unknown as string[])
      .find((c) => c.startsWith('crm_agent_install='))!
      .split(';')[0]!;
    const authorize = new URL(start.headers.location!);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${publicUrl}/oauth/salesforce/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    // The browser goes to Salesforce, which approves and sends it back to crm-agent's callback.
    const callback = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
    const done = await request(app).get(`${callback.pathname}${callback.search}`).set('cookie', cookie);
    expect(done.status).toBe(303);
    expect(installed).toHaveLength(1);
    expect(installed[0]).toMatchObject({
      crm: 'salesforce',
      externalId: sandbox.state.orgId,
      apiBaseUrl: sandbox.baseUrl,
      status: 'active',
    });
    // The install reuses the tenant the org already had (same org id), and stores refreshable tokens.
    expect(installed[0]!.id).toBe(tenant.id);
    const tokens = await runtime.credentials().load(tenant.id);
    expect(tokens).toMatchObject({ kind: 'oauth', refreshToken: expect.any(String) });
  });
});
