import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSalesforceModule } from '../../connectors/salesforce/index.js';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { createApp } from '../../src/http/create-app.js';
import { randomToken, sha256 } from '../../src/install/pkce.js';
import { DRY_RUN_KIND } from '../../src/jobs/interrupted-runs.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { BudgetExhaustedError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { Capture } from '../helpers/capture.js';
import { FakeCrmWriter } from '../helpers/fake-crm-writer.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { worldConnectorModule } from '../helpers/world-connector.js';

/**
 * Tenant settings end to end: the dashboard's form (plain per-field messages, nothing saved on a refusal), the
 * API share reaching the Salesforce connector's budget, and a cycle running on the settings as parsed.
 */
describe('tenant settings', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const writer = new FakeCrmWriter();
  const log = new Capture();
  /** Requests the Salesforce connector sent (past its budget). */
  const sent: string[] = [];
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let hubspot: Tenant;
  let salesforce: Tenant;
  let cookie: string;
  const csrf = 'csrf-token-for-tests';

  const form = {
    incremental: '0 * * * *',
    full: '30 2 * * *',
    timezone: 'UTC',
    fields: 'on',
    tasks: 'on',
    triggers: 'on',
    minProbabilityChange: '3',
    probabilityBands: '25, 50, 75',
    keepCrmEdits: '',
    staleTasks: 'remove',
    _csrf: csrf,
  };
  const post = (tenant: Tenant, body: Record<string, string>) =>
    request(app).post(`/dashboard/t/${tenant.id}/settings`).set('cookie', cookie).type('form').send(body);
  const stored = async (tenant: Tenant) => (await runtime.store.tenants.get(tenant.id))!.settings;

  beforeAll(async () => {
    const config = loadConfig({ env: { DATA_DIR: dir.path, LOG_LEVEL: 'silent' }, cwd: dir.path, readDotEnv: false });
    const world = generateWorld({
      seed: 5,
      contacts: 200,
      companies: 40,
      deals: 200,
      asOf: '2026-11-01T00:00:00.000Z',
    });
    runtime = await createRuntime(config, {
      clock,
      logger: createLogger({ level: 'warn', format: 'json', destination: log }),
      modules: {
        hubspot: worldConnectorModule(world, { writer: () => writer }),
        salesforce: createSalesforceModule(config.salesforce),
      },
      // The Salesforce connector's requests end here: what matters is whether its budget let them out.
      fetch: async (input) => {
        sent.push(String(input));
        return new Response(JSON.stringify([{ errorCode: 'NOT_FOUND', message: 'test' }]), {
          status: 404,
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    await runtime.store.migrate();
    hubspot = await runtime.store.tenants.upsert({ crm: 'hubspot', externalId: 'p1', name: 'Portal', apiBaseUrl: 'x' });
    salesforce = await runtime.store.tenants.upsert({
      crm: 'salesforce',
      externalId: '00D000000000001AAA',
      name: 'Org',
      apiBaseUrl: 'https://org.example.invalid',
    });
    for (const t of [hubspot, salesforce]) {
      await runtime
        .credentials()
        .save(t.id, { kind: 'static', accessToken: 't', refreshToken: null, expiresAt: null, scopes: [] });
    }
    const sessionId = randomToken();
    const expires = new Date(clock.now() + 3_600_000).toISOString();
    await runtime.store.sessions.grant(sha256(sessionId), hubspot.id, csrf, expires);
    await runtime.store.sessions.grant(sha256(sessionId), salesforce.id, csrf, expires);
    cookie = `crm_agent_session=${sessionId}`;
    app = createApp({ store: runtime.store, logger: runtime.logger, version: 't', routers: runtime.routers() });
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  it('refuses a bad API share with a plain message, saves nothing, and keeps what was typed', async () => {
    await runtime.store.tenants.updateSettings(salesforce.id, { salesforce: { apiShare: 0.1, batchSize: 500 } });
    const res = await post(salesforce, { ...form, timezone: 'Europe/Berlin', apiShare: '80' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(
      /<div class="banner error" id="settings-message" role="alert">\s*<strong>Not saved: one value needs a change.<\/strong><ul><li>API share: enter a number from 1 to 50 \(%\)<\/li><\/ul>/,
    );
    expect(res.text).toContain(
      '<p class="field-error" id="apiShare-error">API share: enter a number from 1 to 50 (%)</p>',
    );
    // No schema text reaches the admin.
    expect(res.text).not.toMatch(/Too big|expected number|NaN|must be/);
    // The form as sent: the refused value and the good one beside it.
    expect(res.text).toMatch(/id="apiShare" name="apiShare"[^>]* value="80" aria-invalid="true"/);
    expect(res.text).toMatch(/id="timezone" name="timezone" value="Europe\/Berlin"/);
    expect(await stored(salesforce)).toEqual({ salesforce: { apiShare: 0.1, batchSize: 500 } });

    const blank = await post(salesforce, { ...form, apiShare: '', incremental: 'hourly' });
    expect(blank.status).toBe(400);
    expect(blank.text).toContain('Not saved: 2 values need a change.');
    expect(blank.text).toContain(
      '<li>Incremental schedule: enter a cron expression such as 0 * * * * (every hour)</li><li>API share: enter a number from 1 to 50 (%)</li>',
    );
    expect(await stored(salesforce)).toEqual({ salesforce: { apiShare: 0.1, batchSize: 500 } });
  });

  it("saves a good API share as salesforce.apiShare, and the connector's budget holds to it", async () => {
    // The org reports 1,000 requests a day, of which crm-agent has used 150 in the last 24 hours.
    await runtime.store.apiUsage.ledger(salesforce.id).record('salesforce:daily', 150, 1000);
    const refs = [{ type: 'contact' as const, id: '003000000000001AAA' }];

    const fifteen = await post(salesforce, { ...form, apiShare: '15' });
    expect(fifteen.status).toBe(303);
    expect(await stored(salesforce)).toMatchObject({ salesforce: { apiShare: 0.15, batchSize: 500 } });
    const page = await request(app).get(fifteen.headers.location!).set('cookie', cookie);
    expect(page.text).toMatch(
      /<div class="banner ok" id="settings-message" role="status">\s*<strong>Settings saved.<\/strong>/,
    );
    expect(page.text).toMatch(/id="apiShare" name="apiShare"[^>]* value="15"/);
    let connector = runtime.connectorFor((await runtime.store.tenants.get(salesforce.id))!);
    const refused = await connector.readRecords!(refs).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExhaustedError);
    expect((refused as Error).message).toContain('its 15 % share (150)');
    expect(sent).toEqual([]);

    expect((await post(salesforce, { ...form, apiShare: '20' })).status).toBe(303);
    connector = runtime.connectorFor((await runtime.store.tenants.get(salesforce.id))!);
    const answered = await connector.readRecords!(refs).catch((error: unknown) => error);
    expect(answered).not.toBeInstanceOf(BudgetExhaustedError);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]).toMatch(/^https:\/\/org\.example\.invalid\/services\/data\//);
  });

  it('reads an old budgetShare as the API share, and a save moves it to salesforce.apiShare', async () => {
    await runtime.store.tenants.updateSettings(salesforce.id, { budgetShare: 0.3, currency: 'EUR' });
    const page = await request(app).get(`/dashboard/t/${salesforce.id}/settings`).set('cookie', cookie);
    expect(page.text).toMatch(/id="apiShare" name="apiShare"[^>]* value="30"/);
    expect(page.text).not.toContain('id="settings-message"');
    expect((await post(salesforce, { ...form, apiShare: '30' })).status).toBe(303);
    const settings = await stored(salesforce);
    expect(settings).not.toHaveProperty('budgetShare');
    expect(settings).toMatchObject({ currency: 'EUR', salesforce: { apiShare: 0.3 } });
  });

  it('offers no API share on a HubSpot tenant, whose limits are per 10 seconds', async () => {
    const page = await request(app).get(`/dashboard/t/${hubspot.id}/settings`).set('cookie', cookie);
    expect(page.text).not.toContain('name="apiShare"');
    expect(page.text).toContain('id="api-budget"');
    expect((await post(hubspot, { ...form, apiShare: '99' })).status).toBe(303);
    expect(await stored(hubspot)).not.toHaveProperty('salesforce');
  });

  it('shows stored values that are not in force, each with what is used instead', async () => {
    await runtime.store.tenants.updateSettings(hubspot.id, { dryRun: 'yes', timezone: 'Mars/Olympus' });
    const page = await request(app).get(`/dashboard/t/${hubspot.id}/settings`).set('cookie', cookie);
    expect(page.text).toMatch(/<div class="banner warn" id="settings-message" role="alert">/);
    expect(page.text).toContain(
      '<li>tenant setting timezone is not valid (expected an IANA time zone such as Europe/Berlin); using &quot;UTC&quot;</li>',
    );
    expect(page.text).toContain('<li>tenant setting dryRun is not valid (expected true or false); using true</li>');
    expect(page.text).toMatch(/<input type="checkbox" name="dryRun" value="on" checked>/);
  });

  it('runs a cycle on the settings as parsed: a bad dryRun plans and sends nothing, the other settings hold', async () => {
    await runtime.store.tenants.updateSettings(hubspot.id, {
      dryRun: 'yes',
      outputs: { fields: true, tasks: false, triggers: true },
      writeback: { minProbabilityChange: 'lots' },
    });
    const result = await runCycle(runtime, { tenantId: hubspot.id, mode: 'full', trigger: 'test' });
    expect(result.status).toBe('succeeded');
    expect((await runtime.store.runs.get(result.runId!))?.kind).toBe(DRY_RUN_KIND);
    expect(result.writeBack?.status).toBe('dry-run');
    expect(result.writeBack?.plan?.fields.length).toBeGreaterThan(0);
    // outputs.tasks: false survived the bad fields beside it.
    expect(result.writeBack?.plan?.tasks).toEqual([]);
    expect(writer.writes).toBe(0);
    const warnings = log.records.filter((r) => r.tenantId === hubspot.id && typeof r.field === 'string');
    expect(warnings.map((r) => [r.field, r.msg])).toEqual([
      ['dryRun', 'tenant setting dryRun is not valid (expected true or false); using true'],
      [
        'writeback.minProbabilityChange',
        'tenant setting writeback.minProbabilityChange is not valid (expected a number); using 3',
      ],
    ]);
  });
});
