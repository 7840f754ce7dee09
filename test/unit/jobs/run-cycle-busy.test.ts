import { afterAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load-config.js';
import { connectWithToken } from '../../../src/install/connect-with-token.js';
import { runCycle } from '../../../src/jobs/run-cycle.js';
import { StoreError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { createRuntime } from '../../../src/main.js';
import { fakeCrmModule } from '../../helpers/fake-crm-module.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('a cycle that could not get the store from another process', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('is recorded as cancelled, not as a failed cycle', async () => {
    const base = fakeCrmModule([]);
    const module = {
      ...base,
      create: () => ({
        crm: 'hubspot' as const,
        streams: () => [
          {
            name: 'contacts',
            // biome-ignore lint/correctness/useYield: a stream that fails before its first page
            async *read(): AsyncGenerator<never> {
              throw new StoreError('STORE_BUSY', 'the database stayed locked by another process for 60 s: try again');
            },
          },
        ],
      }),
    };
    const config = loadConfig({ env: { DATA_DIR: dir.path, LOG_LEVEL: 'silent' }, cwd: dir.path, readDotEnv: false });
    const runtime = await createRuntime(config, { logger: silentLogger(), modules: { hubspot: module } });
    try {
      await runtime.store.migrate();
      const tenant = await connectWithToken(runtime, { crm: 'hubspot', token: 'good-1' });
      await expect(runCycle(runtime, { tenantId: tenant.id, mode: 'full', trigger: 'cli' })).rejects.toMatchObject({
        code: 'STORE_BUSY',
      });
      const [run] = await runtime.store.runs.list(tenant.id);
      expect(run).toMatchObject({ kind: 'cycle', status: 'cancelled', error: expect.stringMatching(/locked/) });
    } finally {
      await runtime.close();
    }
  }, 60_000);
});
