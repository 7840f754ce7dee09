import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { spawnProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('the installed product', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('`npm start` migrates the embedded store and answers GET /healthz with 200', async () => {
    const dataDir = join(dir.path, 'data');
    const app = spawnProcess('npm', ['start', '--silent'], { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    try {
      const [, url] = await app.waitFor(/listening on (http:\/\/\S+)/);
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        status: 'ok',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        schemaVersion: MIGRATIONS.at(-1)!.version,
      });
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
