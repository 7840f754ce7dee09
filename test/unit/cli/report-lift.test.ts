import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { EXIT } from '../../../src/cli/main.js';
import { type Exposure, measureLift } from '../../../src/engine/lift/measure-lift.js';
import { openStore } from '../../../src/store/open-store.js';
import { cli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir();
afterAll(() => dir.remove());
const env = { LOG_LEVEL: 'silent', DATA_DIR: join(dir.path, 'lift') };
const now = Date.now();
const DAY = 86_400_000;

/** A planted effect: 300 treated deals, 120 won; 100 holdout deals, 20 won (+20 points). */
function plantedLift() {
  const at = new Date(now - 20 * DAY).toISOString();
  const closed = new Date(now - 5 * DAY).toISOString();
  const deals = [];
  const treated: Exposure[] = [];
  const holdout: Exposure[] = [];
  for (let i = 0; i < 400; i++) {
    const inTreated = i < 300;
    const won = inTreated ? i < 120 : i < 320;
    deals.push({ id: `d${i}`, isClosed: won, isWon: won, closeDate: won ? closed : null, updatedAt: closed });
    (inTreated ? treated : holdout).push({
      objectType: 'deal',
      recordId: `d${i}`,
      action: 'call',
      segmentKey: null,
      at,
    });
  }
  return measureLift({
    treated,
    holdout,
    deals: deals as never,
    associations: [],
    decided: [],
    holdoutShare: 0.25,
    settings: { windowDays: 90, minGroup: 30 },
    now,
  });
}

describe('crm-agent report lift', () => {
  let tenantId = '';

  it('prints the newest run’s lift as a table, and as JSON with --json', async () => {
    expect((await cli(['migrate'], env)).status).toBe(EXIT.ok);
    const store = await openStore({ kind: 'sqlite', path: join(env.DATA_DIR, 'crm-agent.db') });
    try {
      const tenant = await store.tenants.upsert({ crm: 'hubspot', externalId: 'p1', name: 'P1', apiBaseUrl: 'x' });
      tenantId = tenant.id;
      const runId = await store.runs.start(tenant.id, 'cycle', 'test');
      await store.db
        .insertInto('runArtifacts')
        .values({ tenantId, runId, name: 'lift', payload: JSON.stringify(plantedLift()) })
        .execute();
      await store.runs.finish(runId, 'succeeded', {});
    } finally {
      await store.close();
    }
    const table = await cli(['report', 'lift', '--tenant', tenantId], env);
    expect(table.status).toBe(EXIT.ok);
    expect(table.stdout).toMatch(/^lift as of .* \(holdout 25\.0%, window 90 days\)/m);
    expect(table.stdout).toMatch(/^deal +call +all +40\.0% of 300 +20\.0% of 100 +\+20\.0 +\+\d+\.\d to \+\d+\.\d$/m);
    const json = await cli(['report', 'lift', '--tenant', tenantId, '--json'], env);
    expect(json.status).toBe(EXIT.ok);
    const parsed = JSON.parse(json.stdout) as { holdoutShare: number; lift: ReturnType<typeof plantedLift> };
    expect(parsed.holdoutShare).toBe(0.1);
    const overall = parsed.lift.cells.find((c) => c.action === 'all' && c.segmentKey === null)!;
    expect(overall.lift).toBeCloseTo(0.2, 6);
    // The planted +20 points: the interval excludes no effect.
    expect(overall.low!).toBeGreaterThan(0);
    expect(overall.high!).toBeGreaterThan(0.2);
  });

  it('warns that a holdout share of 0 means no measurement', async () => {
    const store = await openStore({ kind: 'sqlite', path: join(env.DATA_DIR, 'crm-agent.db') });
    try {
      await store.tenants.updateSettings(tenantId, { holdoutShare: 0 });
    } finally {
      await store.close();
    }
    const out = await cli(['report', 'lift', '--tenant', tenantId], env);
    expect(out.status).toBe(EXIT.ok);
    expect(out.stderr).toMatch(/^warning: Holdout share is 0: no control group, so the lift .* is not measured\.$/m);
  });

  it('refuses an unknown tenant with one line', async () => {
    const { status, stderr, stdout } = await cli(['report', 'lift', '--tenant', 'nope'], env);
    expect(status).toBe(EXIT.failed);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/no tenant with id nope/);
    expect(stdout).toBe('');
  });
});
