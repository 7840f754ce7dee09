import { afterAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load-config.js';
import { registerJobs } from '../../../src/jobs/register-jobs.js';
import { RUN_JOB } from '../../../src/jobs/scheduler.js';
import { NeedsReauthError } from '../../../src/lib/errors.js';
import { createRuntime } from '../../../src/main.js';
import { contact } from '../../contract/store.contract.js';
import { Capture } from '../../helpers/capture.js';
import { fakeCrmModule } from '../../helpers/fake-crm-module.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('a tenant whose CRM forgot its tokens (a restarted sandbox, a revoked app)', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('is one WARN line and the needs-reconnecting state, with no error or stack', async () => {
    const log = new Capture();
    const config = loadConfig({
      env: { DATA_DIR: dir.path, LOG_LEVEL: 'debug', LOG_FORMAT: 'json' },
      cwd: dir.path,
      readDotEnv: false,
    });
    const module = {
      ...fakeCrmModule([contact('1')]),
      refresh: async (): Promise<never> => {
        throw new NeedsReauthError('-', 'HubSpot refused the refresh token (BAD_REFRESH_TOKEN)');
      },
    };
    const runtime = await createRuntime(config, { logDestination: log, modules: { hubspot: module } });
    try {
      await runtime.store.migrate();
      const tenant = await runtime.store.tenants.upsert({
        crm: 'hubspot',
        externalId: '42',
        name: 'p',
        apiBaseUrl: 'x',
      });
      await runtime.credentials().save(tenant.id, {
        kind: 'oauth',
        accessToken: 'old',
        refreshToken: 'forgotten',
        expiresAt: new Date(Date.now() - 60_000).toISOString(),
        scopes: [],
      });
      registerJobs(runtime);
      await runtime.queue.send(RUN_JOB, tenant.id, { mode: 'incremental', trigger: 'schedule' });
      await runtime.queue.idle();
      expect((await runtime.store.tenants.get(tenant.id))?.status).toBe('needs_reauth');
      const loud = log.records.filter((r) => Number(r.level) >= 40);
      expect(loud.map((r) => r.msg)).toEqual(['tenant needs re-authorisation']);
      expect(log.text).not.toMatch(/"stack"|\n\s+at /);
    } finally {
      await runtime.close();
    }
  }, 60_000);
});
