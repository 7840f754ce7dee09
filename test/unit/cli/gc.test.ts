import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { EXIT } from '../../../src/cli/main.js';
import { openStore } from '../../../src/store/open-store.js';
import { cli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir();
afterAll(() => dir.remove());
const quiet = { LOG_LEVEL: 'silent' };

describe('crm-agent gc', () => {
  it('prints one line per table; --dry-run removes nothing, a real run removes what retention no longer keeps', async () => {
    const env = { ...quiet, DATA_DIR: join(dir.path, 'gc'), RETAIN_INBOX_DAYS: '1' };
    expect((await cli(['migrate'], env)).status).toBe(EXIT.ok);
    const store = await openStore({ kind: 'sqlite', path: join(dir.path, 'gc', 'crm-agent.db') });
    try {
      await store.db
        .insertInto('webhookInbox')
        .values(
          ['old', 'new'].map((key) => ({
            provider: 'hubspot',
            tenantId: null,
            eventKey: key,
            payload: '{}',
            receivedAt: '2026-01-01T00:00:00.000Z',
            status: 'done' as const,
            processedAt: key === 'old' ? '2000-01-01T00:00:00.000Z' : new Date().toISOString(),
            error: null,
          })),
        )
        .execute();
    } finally {
      await store.close();
    }
    const dry = await cli(['gc', '--dry-run'], env);
    expect(dry.status).toBe(EXIT.ok);
    expect(dry.stdout).toMatch(/^webhook_inbox: would remove 1 rows$/m);
    expect(dry.stdout).toMatch(/^audit_log: would remove 0 rows$/m);
    expect(dry.stdout).toMatch(/^sqlite: would vacuum incrementally$/m);
    const real = await cli(['gc'], env);
    expect(real.stdout).toMatch(/^webhook_inbox: removed 1 rows$/m);
    expect(real.stdout).toMatch(/^sqlite: gave \d+ free pages back to the file system$/m);
    const again = await cli(['gc'], env);
    expect(again.stdout).toMatch(/^webhook_inbox: removed 0 rows$/m);
  });

  it('refuses an unknown tenant with one line', async () => {
    const env = { ...quiet, DATA_DIR: join(dir.path, 'gc2') };
    const { status, stderr } = await cli(['gc', '--tenant', 'nope', '--dry-run'], env);
    expect(status).toBe(EXIT.failed);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/nope/);
  });
});
