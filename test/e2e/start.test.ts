import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { spawnProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Ports nothing listens on now (the demo is told which to use). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

describe('the installed product', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('`npm start` runs the demo: both sandbox CRMs installed through OAuth, first cycles written back, dashboard up', async () => {
    const dataDir = join(dir.path, 'data');
    const [port, hubspotPort, salesforcePort] = await freePorts(3);
    const app = spawnProcess(
      'npm',
      [
        'start',
        '--silent',
        '--',
        `--port=${port}`,
        `--hubspot-port=${hubspotPort}`,
        `--salesforce-port=${salesforcePort}`,
        '--contacts=200',
        '--activity-seconds=0',
      ],
      { DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    );
    try {
      const [, signIn] = await app.waitFor(/Dashboard: (http:\/\/\S+)/);
      const [, token] = await app.waitFor(/private-app token: (\S+)/);
      const out = app.stdout();
      expect(out).toMatch(/installed into hubspot through OAuth: tenant \S+/);
      expect(out).toMatch(/installed into salesforce through OAuth: tenant \S+/);
      expect(out).toMatch(/hubspot: first cycle succeeded: .*; \d+ actions; [1-9]\d* writes to hubspot/);
      expect(out).toMatch(/salesforce: first cycle succeeded: .*; \d+ actions; [1-9]\d* writes to salesforce/);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({
        status: 'ok',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        schemaVersion: MIGRATIONS.at(-1)!.version,
      });
      // The one-time link signs the admin in and lands on the dashboard.
      const signedIn = await fetch(signIn!, { redirect: 'manual' });
      expect(signedIn.status).toBe(303);
      const cookie = signedIn.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const dashboard = await fetch(new URL(signedIn.headers.get('location')!, signIn).toString(), {
        headers: { cookie },
      });
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toContain('Overview');
      // The rep's view: crm-agent's properties on the sandbox HubSpot's deals.
      const deals = (await (
        await fetch(
          `http://127.0.0.1:${hubspotPort}/crm/v3/objects/deals?limit=100&properties=crm_agent_win_probability`,
          { headers: { authorization: `Bearer ${token}` } },
        )
      ).json()) as { results: Array<{ properties: Record<string, string | null> }> };
      expect(deals.results.some((d) => d.properties.crm_agent_win_probability)).toBe(true);
      expect(existsSync(join(dataDir, 'crm-agent.db'))).toBe(true);
    } finally {
      await app.stop(); // npm itself dies by the signal; the server's own clean exit is tested below
    }
  });

  it('`crm-agent serve` shuts down cleanly on SIGTERM', async () => {
    const app = spawnProcess(process.execPath, ['bin/crm-agent.js', 'serve'], {
      PORT: '0',
      DATA_DIR: join(dir.path, 'serve'),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    await app.waitFor(/listening on/);
    expect(await app.stop('SIGTERM')).toBe(0);
    expect(app.stderr()).toContain('"msg":"shutting down"');
  });

  it('`crm-agent worker` runs on PostgreSQL and stops gracefully on SIGTERM', async () => {
    const database = await createTestDatabase();
    try {
      const worker = spawnProcess(process.execPath, ['bin/crm-agent.js', 'worker'], {
        DATABASE_URL: database.url,
        CRM_AGENT_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      });
      await worker.waitFor(/worker started/);
      expect(await worker.stop('SIGTERM')).toBe(0);
      expect(worker.stderr()).toContain('worker stopping');
    } finally {
      await database.drop();
    }
  });

  it('the built `crm-agent` command fails with one line and status 1 on bad input', async () => {
    const cmd = spawnProcess(process.execPath, ['bin/crm-agent.js', 'sync', '--tenant', 'no-such-tenant'], {
      LOG_LEVEL: 'silent',
      DATA_DIR: join(dir.path, 'bad-input'),
    });
    expect(await cmd.exited()).toBe(1);
    expect(cmd.stderr().trim().split('\n')).toEqual([
      'crm-agent: no tenant with id no-such-tenant (list them with `crm-agent tenants`)',
    ]);
  });
});
