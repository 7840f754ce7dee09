import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { loadConfig } from '../../src/config/load-config.js';
import { when } from '../../src/dashboard/views/layout.js';
import { createApp } from '../../src/http/create-app.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import { randomToken, sha256 } from '../../src/install/pkce.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { API_CALLS_KEY } from '../../src/store/repositories/overview.js';
import { FakeCrmWriter } from '../helpers/fake-crm-writer.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { worldConnectorModule } from '../helpers/world-connector.js';

describe('the admin dashboard', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const writer = new FakeCrmWriter();
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let mine: string;
  let theirs: string;
  let cookie: string;
  const csrf = 'csrf-token-for-tests';

  beforeAll(async () => {
    const config = loadConfig({ env: { DATA_DIR: dir.path, LOG_LEVEL: 'silent' }, cwd: dir.path, readDotEnv: false });
    const world = generateWorld({
      seed: 3,
      contacts: 600,
      companies: 100,
      deals: 800,
      asOf: '2026-11-01T00:00:00.000Z',
    });
    const other = generateWorld({
      seed: 4,
      contacts: 300,
      companies: 60,
      deals: 300,
      asOf: '2026-11-01T00:00:00.000Z',
    });
    const modules = { hubspot: worldConnectorModule(world, { writer: () => writer }) };
    runtime = await createRuntime(config, { clock, logger: silentLogger(), modules });
    await runtime.store.migrate();
    mine = (await connectWithToken(runtime, { crm: 'hubspot', token: 'a' })).id;
    await runCycle(runtime, { tenantId: mine, mode: 'full', trigger: 'test' });
    // A second tenant, installed by someone else, with results of its own.
    const otherRuntime = await createRuntime(config, {
      clock,
      logger: silentLogger(),
      modules: { hubspot: worldConnectorModule(other) },
    });
    theirs = (await connectWithToken(otherRuntime, { crm: 'hubspot', token: 'b' })).id;
    await runCycle(otherRuntime, { tenantId: theirs, mode: 'full', trigger: 'test' });
    await otherRuntime.close();
    const sessionId = randomToken();
    await runtime.store.sessions.grant(sha256(sessionId), mine, csrf, new Date(clock.now() + 3_600_000).toISOString());
    cookie = `crm_agent_session=${sessionId}`;
    app = createApp({ store: runtime.store, logger: silentLogger(), version: 't', routers: runtime.routers() });
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  it('asks anyone without a session to install first', async () => {
    const res = await request(app).get('/dashboard');
    expect(res.status).toBe(401);
    expect(res.text).toContain('/install/hubspot');
    expect((await request(app).get(`/dashboard/t/${mine}`)).status).toBe(401);
  });

  it('sends a signed-in admin to their tenant', async () => {
    const res = await request(app).get('/dashboard').set('cookie', cookie);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/dashboard/t/${mine}`);
  });

  it.each([
    ['', 'Overview', /id="runs"/],
    ['/data', 'Data health', /id="fixes"/],
    ['/segments', 'Segments', /id="segments"/],
    [
      '/forecasts',
      'Forecasts',
      /class="card forecast" data-series="revenue:total"[\s\S]*The forecast’s model, [\w-]+, was off by [\d.]+ % on average/,
    ],
    [
      '/models',
      'Model quality',
      /held-out AUC[\s\S]*<div class="metric">0\.\d{3}<\/div><div class="muted">calibration error \(ECE/,
    ],
    ['/actions', 'Next best actions', /id="actions-table"/],
    ['/lift', 'Lift', /id="lift-overall"[\s\S]*id="lift-balance"/],
    [
      '/writeback',
      'Write-back',
      /id="plan-decisions">[\d,]+ values updated, [\d,]+ restored .*suppressed: [\d,]+ small probability moves, [\d,]+ within the model.+ uncertainty, [\d,]+ moved by retraining alone, [\d,]+ model version only/,
    ],
    ['/settings', 'Settings', /id="settings-form"/],
  ])('renders %s with the tenant’s results', async (path, title, marker) => {
    const res = await request(app).get(`/dashboard/t/${mine}${path}`).set('cookie', cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<h1>${title}</h1>`);
    expect(res.text).toMatch(marker);
    expect(res.text).not.toContain('No segments yet');
  });

  it('pages, filters and sorts the actions on the server, and exports the selection as CSV', async () => {
    const get = (query: string) => request(app).get(`/dashboard/t/${mine}/actions${query}`).set('cookie', cookie);
    const rowsOf = (text: string) => (text.split('<tbody>').at(-1)!.match(/<tr>/g) ?? []).length;
    const { total } = await runtime.store.actionList.facets(mine);
    expect(total).toBeGreaterThan(60);
    const first = await get('');
    expect(rowsOf(first.text)).toBe(50);
    expect(first.text).toContain(`Showing 1–50 of ${total.toLocaleString('en-US')}.`);
    const next = first.text.match(/<a rel="next" href="([^"]+)"/)![1]!.replaceAll('&amp;', '&');
    const second = await request(app).get(next).set('cookie', cookie);
    expect(second.text).toContain(`Showing 51–${Math.min(100, total)} of`);
    // A filter from the page's own choices: every row shown has that action, and the count is the store's.
    const action = first.text.match(/<select name="action">.*?<option value="([a-z_]+)"/s)![1]!;
    const filtered = await get(`?action=${action}&size=200`);
    const expected = (
      await runtime.store.actionList.page(mine, { action, sort: 'value', descending: true, offset: 0, limit: 10_000 })
    ).total;
    expect(rowsOf(filtered.text)).toBe(Math.min(expected, 200));
    const actionCells = [
      ...filtered.text
        .split('<tbody>')
        .at(-1)!
        .matchAll(/<tr><td>.*?<\/td><td>.*?<\/td><td>([^<]*)<\/td>/g),
    ].map((m) => m[1]);
    expect(new Set(actionCells)).toEqual(new Set([action.replaceAll('_', ' ')]));
    // Sorted by due date, earliest first.
    const byDue = await get('?sort=due&size=200');
    const dues = [...byDue.text.matchAll(/<td>(\d{4}-\d{2}-\d{2}|)<\/td><td>/g)].map((m) => m[1]!);
    expect(dues.length).toBeGreaterThan(0);
    expect(dues).toEqual([...dues].sort());
    // The CSV has every matching row, not one page.
    const csv = await request(app).get(`/dashboard/t/${mine}/actions.csv?action=${action}`).set('cookie', cookie);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(
      /attachment; filename="next-best-actions-\d{4}-\d{2}-\d{2}\.csv"/,
    );
    const lines = csv.text.trimEnd().split('\n');
    expect(lines[0]).toBe('record type,record id,name,owner,action,priority,due,reason,segment,outcome,worth (USD)');
    expect(lines.length - 1).toBeGreaterThanOrEqual(expected);
    expect((await request(app).get(`/dashboard/t/${theirs}/actions.csv`).set('cookie', cookie)).status).toBe(404);
    expect((await request(app).get(`/dashboard/t/${mine}/actions.csv`)).status).toBe(401);
  });

  it("shows the tenant's store size: rows per table and an estimate in MB", async () => {
    const res = await request(app).get(`/dashboard/t/${mine}`).set('cookie', cookie);
    expect(res.text).toMatch(
      /<div class="card" id="storage"><h2>Storage<\/h2>\s*<div class="metric">\d+\.\d+ MB<\/div>/,
    );
    const deals = (await runtime.store.records.list(mine, 'deal')).length;
    expect(res.text).toContain(`<tr><td>deals</td><td class="num">${deals.toLocaleString('en-US')}</td>`);
  });

  it('never shows another tenant’s pages, data or runs', async () => {
    for (const path of ['', '/segments', '/actions', '/settings']) {
      expect((await request(app).get(`/dashboard/t/${theirs}${path}`).set('cookie', cookie)).status).toBe(404);
    }
    const theirRun = (await runtime.store.runs.list(theirs))[0]!;
    expect((await request(app).get(`/dashboard/t/${mine}/runs/${theirRun.id}`).set('cookie', cookie)).status).toBe(404);
  });

  it('shows a run as the agent workflow flowchart', async () => {
    const run = (await runtime.store.runs.list(mine))[0]!;
    const res = await request(app).get(`/dashboard/t/${mine}/runs/${run.id}`).set('cookie', cookie);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<pre class="mermaid" id="workflow">flowchart LR/);
    expect(res.text).toMatch(/collect\[&quot;Collect&lt;br\/&gt;\d+ steps? · [\d.]+ s&quot;\]:::succeeded/);
    // The summary as a labelled table, not JSON.
    expect(res.text).toMatch(
      /<table id="run-summary">[\s\S]*<td[^>]*>Records scored<\/td><td class="num">[\d,]+<\/td>/,
    );
    expect(res.text).not.toMatch(/&quot;\w+&quot;: /);
  });

  it('saves settings only with the session’s CSRF token, validates them, and reschedules', async () => {
    const form = {
      incremental: '*/30 * * * *',
      full: '0 3 * * *',
      timezone: 'Europe/Berlin',
      fields: 'on',
      tasks: 'on',
    };
    const forged = await request(app)
      .post(`/dashboard/t/${mine}/settings`)
      .set('cookie', cookie)
      .type('form')
      .send({ ...form, _csrf: 'wrong' });
    expect(forged.status).toBe(403);
    const bad = await request(app)
      .post(`/dashboard/t/${mine}/settings`)
      .set('cookie', cookie)
      .type('form')
      .send({ ...form, incremental: 'every hour', _csrf: csrf });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Incremental schedule: enter a cron expression such as 0 * * * * (every hour)');
    expect(runtime.scheduler.scheduledPatterns(mine)).not.toContain('every hour');
    const ok = await request(app)
      .post(`/dashboard/t/${mine}/settings`)
      .set('cookie', cookie)
      .type('form')
      .send({ ...form, _csrf: csrf });
    expect(ok.status).toBe(303);
    const tenant = await runtime.store.tenants.get(mine);
    expect(tenant?.settings).toMatchObject({
      schedule: { incremental: '*/30 * * * *', full: '0 3 * * *' },
      timezone: 'Europe/Berlin',
      outputs: { fields: true, tasks: true, triggers: false },
      dryRun: false,
    });
    expect(runtime.scheduler.scheduledPatterns(mine)).toEqual(['*/30 * * * *', '0 3 * * *']);
    expect((await runtime.store.audit.list({ tenantId: mine }))[0]).toMatchObject({ action: 'settings.changed' });
    const theirsForged = await request(app)
      .post(`/dashboard/t/${theirs}/settings`)
      .set('cookie', cookie)
      .type('form')
      .send({ ...form, _csrf: csrf });
    expect(theirsForged.status).toBe(404);
  });

  it('saves the write-back rules from the settings form, and refuses a bad one', async () => {
    const form = {
      incremental: '0 * * * *',
      full: '30 2 * * *',
      timezone: 'UTC',
      fields: 'on',
      tasks: 'on',
      minProbabilityChange: '5',
      probabilityBands: '30, 70',
      scoreHoldWithin: '2',
      retrainHoldPoints: '15',
      minReasonPoints: '0.5',
      keepCrmEdits: 'crm_agent_segment',
      staleTasks: 'defer',
      _csrf: csrf,
    };
    const ok = await request(app).post(`/dashboard/t/${mine}/settings`).set('cookie', cookie).type('form').send(form);
    expect(ok.status).toBe(303);
    expect((await runtime.store.tenants.get(mine))?.settings.writeback).toEqual({
      minProbabilityChange: 5,
      probabilityBands: [30, 70],
      scoreHoldWithin: 2,
      retrainHoldPoints: 15,
      minReasonPoints: 0.5,
      keepCrmEdits: ['crm_agent_segment'],
      staleTasks: 'defer',
    });
    const page = await request(app).get(`/dashboard/t/${mine}/settings`).set('cookie', cookie);
    expect(page.text).toMatch(/<option value="defer" selected>/);
    expect(page.text).toMatch(/id="scoreHoldWithin" name="scoreHoldWithin"[^>]*value="2"/);
    expect(page.text).toMatch(/id="retrainHoldPoints" name="retrainHoldPoints"[^>]*value="15"/);
    expect(page.text).toMatch(/id="minReasonPoints" name="minReasonPoints"[^>]*value="0.5"/);
    const bad = await request(app)
      .post(`/dashboard/t/${mine}/settings`)
      .set('cookie', cookie)
      .type('form')
      .send({ ...form, staleTasks: 'complete' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Untouched tasks: choose removed or set to Deferred');
    expect((await runtime.store.tenants.get(mine))?.settings.writeback).toMatchObject({ staleTasks: 'defer' });
  });

  it('sets the holdout share: 0 is saved with a plain warning that nothing is measured, over 50 % is refused', async () => {
    const form = {
      incremental: '0 * * * *',
      full: '30 2 * * *',
      timezone: 'UTC',
      fields: 'on',
      tasks: 'on',
      _csrf: csrf,
    };
    const post = (holdoutShare: string) =>
      request(app)
        .post(`/dashboard/t/${mine}/settings`)
        .set('cookie', cookie)
        .type('form')
        .send({ ...form, holdoutShare });
    expect((await post('0')).status).toBe(303);
    expect((await runtime.store.tenants.get(mine))?.settings.holdoutShare).toBe(0);
    const page = await request(app).get(`/dashboard/t/${mine}/settings`).set('cookie', cookie);
    expect(page.text).toMatch(
      /id="holdout-warning">Holdout share is 0: no control group, so the lift .* is not measured\./,
    );
    const lift = await request(app).get(`/dashboard/t/${mine}/lift`).set('cookie', cookie);
    expect(lift.text).toContain('id="holdout-warning"');
    const bad = await post('60');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Holdout share: enter a number from 0 to 50 (%)');
    expect((await post('12.5')).status).toBe(303);
    expect((await runtime.store.tenants.get(mine))?.settings.holdoutShare).toBe(0.125);
    const back = await request(app).get(`/dashboard/t/${mine}/settings`).set('cookie', cookie);
    expect(back.text).toMatch(/id="holdoutShare" name="holdoutShare" [^>]*value="12.5"/);
    expect(back.text).not.toContain('id="holdout-warning"');
  });

  it('serves its scripts from the install, with no CDN', async () => {
    for (const file of ['chart.umd.js', 'mermaid.min.js', 'dashboard.js']) {
      const res = await request(app).get(`/dashboard/static/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/javascript/);
    }
    expect((await request(app).get('/dashboard/static/..%2F..%2Fpackage.json')).status).toBe(404);
    const page = await request(app).get(`/dashboard/t/${mine}`).set('cookie', cookie);
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
  });

  it('shows the last sync and every API call today however many runs came since', async () => {
    const { store } = runtime;
    // Webhook recomputes pile up after the cycle: more than the 30 runs the page lists.
    for (let i = 0; i < 40; i++) {
      clock.advance(1000);
      await store.runs.finish(await store.runs.start(mine, 'recompute', 'webhook'), 'succeeded', {});
    }
    const lastSync = (await store.runs.list(mine, 100)).find((r) => r.kind === 'cycle')!;
    const before = await request(app).get(`/dashboard/t/${mine}`).set('cookie', cookie);
    const reads = Number(/id="requests-today">([\d,]+)</.exec(before.text)![1]!.replace(/,/g, ''));
    // Write calls (and recomputes' reads) are counted as the CRM answers them, like the sync's.
    await store.apiUsage.record(mine, API_CALLS_KEY, 25, null);
    await store.apiUsage.record(theirs, API_CALLS_KEY, 1000, null);
    const res = await request(app).get(`/dashboard/t/${mine}`).set('cookie', cookie);
    expect(res.text).toContain(`<h2>Last sync</h2><div class="metric">${when(lastSync.finishedAt)}</div>`);
    expect(res.text).toMatch(new RegExp(`id="requests-today">${(reads + 25).toLocaleString('en-US')}<`));
    expect(res.text).toContain('requests to HubSpot since 00:00 UTC, reads and writes');
  });
  // Last: it adds a run, which the tests above would read as the latest.
  it('lets open pages follow the runs: a page carries its version, and /live moves when a run starts or ends', async () => {
    const live = async () =>
      (await request(app).get(`/dashboard/t/${mine}/live`).set('cookie', cookie)).body as { version: string };
    const before = await live();
    const page = await request(app).get(`/dashboard/t/${mine}/segments`).set('cookie', cookie);
    expect(page.text).toContain(`<main data-live="/dashboard/t/${mine}/live" data-version="${before.version}">`);
    // The settings form never changes under the admin's hands.
    const settings = await request(app).get(`/dashboard/t/${mine}/settings`).set('cookie', cookie);
    expect(settings.text).toContain('<main>');
    clock.advance(60_000);
    const runId = await runtime.store.runs.start(mine, 'sync', 'test');
    const started = await live();
    expect(started.version).not.toBe(before.version);
    await runtime.store.runs.finish(runId, 'succeeded', {});
    expect((await live()).version).not.toBe(started.version);
    expect((await request(app).get(`/dashboard/t/${theirs}/live`).set('cookie', cookie)).status).toBe(404);
  });
});
