import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RequestEvent } from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import { cli } from '../helpers/cli.js';
import { salesforceRuntime, startSandbox } from '../helpers/salesforce.js';
import { differencesFromSandbox } from '../helpers/salesforce-oracle.js';
import { spawnProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOKEN = 'sandbox-salesforce-token';

describe('crm-agent sandbox salesforce', () => {
  it('serves a seeded org on the port it prints, and stops on SIGTERM', async () => {
    const org = spawnProcess(
      process.execPath,
      [
        'bin/crm-agent.js',
        'sandbox',
        'salesforce',
        '--port',
        '0',
        '--seed',
        '2',
        '--accounts',
        '20',
        '--contacts',
        '200',
        '--opportunities',
        '40',
        '--limits',
        'off',
        '--as-of',
        '2026-11-01',
      ],
      { LOG_LEVEL: 'silent' },
    );
    try {
      const [, url] = await org.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
      const res = await fetch(
        `${url}/services/data/v62.0/query?q=${encodeURIComponent('SELECT COUNT() FROM Opportunity')}`,
        {
          headers: { authorization: `Bearer ${TOKEN}` },
        },
      );
      expect(await res.json()).toEqual({ totalSize: 40, done: true, records: [] });
    } finally {
      expect(await org.stop('SIGTERM')).toBe(0);
    }
  });

  it('refuses a bad option with a clear error', async () => {
    const { status, stderr } = await cli(['sandbox', 'salesforce', '--limits', 'sometimes'], { LOG_LEVEL: 'silent' });
    expect(status).toBe(1);
    expect(stderr).toMatch(/argument 'sometimes' is invalid/);
  });
});

describe('crm-agent connect salesforce, and a sync killed with SIGKILL', () => {
  const dir = tempDir();
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  const env = () => ({ LOG_LEVEL: 'silent', DATA_DIR: dir.path, SALESFORCE_LOGIN_URL: sandbox.baseUrl });

  beforeAll(async () => {
    sandbox = await startSandbox({ limits: 'off', seed: 41, accounts: 200, contacts: 2000, opportunities: 400 });
  });
  afterAll(async () => {
    await sandbox.close();
    dir.remove();
  });

  it('registers the org from an access token, then resumes a killed sync to an exact copy', async () => {
    const connected = await cli(['connect', 'salesforce', '--instance-url', sandbox.baseUrl, '--token', TOKEN], env());
    expect(connected.stderr).toMatch(
      new RegExp(`connected salesforce account ${sandbox.state.orgId} \\(Sandbox Org 41\\)`),
    );
    expect(connected.status).toBe(0);
    const tenantId = connected.stdout.trim();
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await cli(['connect', 'salesforce', '--instance-url', sandbox.baseUrl, '--token', 'stolen'], env());
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/Salesforce rejected the token/);

    const runtime = await salesforceRuntime(dir.path, sandbox);
    await runtime.store.tenants.updateSettings(tenantId, { salesforce: { batchSize: 200, bulkThreshold: 100_000 } });
    await runtime.close();

    const child = spawnProcess(process.execPath, ['bin/crm-agent.js', 'sync', '--tenant', tenantId, '--full'], env());
    let calls = 0;
    const killAt = (event: RequestEvent) => {
      if (event.apiCall !== undefined && ++calls === 14) void child.stop('SIGKILL');
    };
    sandbox.events.on('request', killAt);
    const status = await child.exited();
    sandbox.events.off('request', killAt);
    expect(status).toBeNull();
    expect(child.child.signalCode).toBe('SIGKILL');

    const check = await salesforceRuntime(dir.path, sandbox);
    try {
      const [run] = await check.store.runs.list(tenantId);
      expect(run?.status).toBe('running');
      const kept = await check.store.records.count(tenantId, 'contact');
      expect(kept).toBeGreaterThan(0);

      const resumed = await cli(['sync', '--tenant', tenantId, '--full'], env());
      expect(resumed.stderr).toBe('');
      expect(resumed.status).toBe(0);
      expect(resumed.stdout).toMatch(/^sync full succeeded in \d+\.\d s: .*contact=\d+/);
      const resumedContacts = Number(/contact=(\d+)/.exec(resumed.stdout)![1]);
      expect(resumedContacts + kept).toBe(
        sandbox.control.records('Contact').length + sandbox.control.records('Lead').length,
      );

      const incremental = await cli(['sync', '--tenant', tenantId], env());
      expect(incremental.stdout).toMatch(/^sync incremental succeeded/);
      expect((await differencesFromSandbox(check.store, tenantId, sandbox)).slice(0, 10)).toEqual([]);
    } finally {
      await check.close();
    }
  });
});
