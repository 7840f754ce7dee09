import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createRuntime } from '../../src/main.js';
import { cli } from '../helpers/cli.js';
import { compareWithPortal, type Harness, nonZero, startSandbox, TEST_KEY } from '../helpers/hubspot.js';
import { spawnProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('crm-agent with HubSpot from the command line', () => {
  let sb: HubSpotSandbox;
  let url: string;
  let killAt = -1;
  let victim: number | undefined;
  const dir = tempDir();
  const env = () => ({
    DATA_DIR: dir.path,
    LOG_LEVEL: 'warn',
    CRM_AGENT_ENCRYPTION_KEY: TEST_KEY,
    HUBSPOT_API_URL: url,
  });

  beforeAll(async () => {
    ({ sb, url } = await startSandbox({
      seed: 41,
      contacts: 3000,
      companies: 300,
      deals: 600,
      limits: 'off',
      onRequest: ({ number }) => {
        if (number === killAt && victim !== undefined) process.kill(victim, 'SIGKILL');
      },
    }));
  });
  afterAll(async () => {
    await sb.close();
    dir.remove();
  });

  it('`connect hubspot` refuses a wrong token with a clear error and stores nothing', async () => {
    const { status, stderr, stdout } = await cli(['connect', 'hubspot', '--token', 'pat-na1-wrong'], env());
    expect(status).toBe(1);
    expect(stderr).toMatch(/^crm-agent: HubSpot rejected the token \(INVALID_AUTHENTICATION\)/);
    expect(stdout).toBe('');
    expect((await cli(['tenants'], env())).stdout).toMatch(/^no tenants yet/);
  });

  it('a `crm-agent sync` killed with SIGKILL resumes where it stopped and ends equal to the portal', async () => {
    const connected = spawnProcess(
      process.execPath,
      ['bin/crm-agent.js', 'connect', 'hubspot', '--token', sb.token, '--base-url', url],
      env(),
    );
    expect(await connected.exited()).toBe(0);
    const tenantId = connected.stdout().trim();
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(connected.stderr()).toContain(`connected hubspot account ${sb.portalId}`);

    killAt = (sb.context.counters.api ?? 0) + 40;
    const first = spawnProcess(process.execPath, ['bin/crm-agent.js', 'sync', '--tenant', tenantId, '--full'], env());
    victim = first.child.pid;
    expect(await first.exited()).toBeNull();
    expect(first.child.signalCode).toBe('SIGKILL');

    const runtime = await createRuntime(loadConfig({ env: env(), cwd: dir.path, readDotEnv: false }));
    try {
      const cursor = await runtime.store.cursors.get(tenantId, 'crm-objects');
      expect(cursor?.state.phase).toBe('list');
      const written = await runtime.store.records.count(tenantId, 'contact');
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThan(3000);

      const second = spawnProcess(
        process.execPath,
        ['bin/crm-agent.js', 'sync', '--tenant', tenantId, '--full'],
        env(),
      );
      expect(await second.exited()).toBe(0);
      expect(second.stdout()).toMatch(
        /^sync full succeeded in \d+\.\d s: .*contact=\d+.*\nrequests=\d+ throttled\(429\)=0 run=/,
      );
      const resumedContacts = Number(second.stdout().match(/contact=(\d+)/)![1]);
      expect(resumedContacts).toBeLessThan(3000);

      const tenant = (await runtime.store.tenants.get(tenantId))!;
      const harness = { runtime, tenant } as unknown as Harness;
      expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
    } finally {
      await runtime.close();
    }
  });

  it('`crm-agent sandbox hubspot` serves a seeded portal and says where', async () => {
    const server = spawnProcess(
      process.execPath,
      [
        'bin/crm-agent.js',
        'sandbox',
        'hubspot',
        '--port',
        '0',
        '--seed',
        '3',
        '--contacts',
        '40',
        '--companies',
        '5',
        '--deals',
        '10',
        '--as-of',
        '2026-11-01',
      ],
      { LOG_LEVEL: 'silent' },
    );
    try {
      const [, base] = await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const token = server.stderr().match(/private-app token (\S+),/)![1]!;
      const details = await fetch(`${base}/account-info/v3/details`, { headers: { Authorization: `Bearer ${token}` } });
      expect(details.status).toBe(200);
      expect(details.headers.get('x-hubspot-ratelimit-max')).toBe('110');
      const page = (await (
        await fetch(`${base}/crm/v3/objects/contacts?limit=100`, { headers: { Authorization: `Bearer ${token}` } })
      ).json()) as { results: unknown[] };
      expect(page.results).toHaveLength(40);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});
