import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { contact } from '../../contract/store.contract.js';
import { cli } from '../../helpers/cli.js';
import { fakeCrmModule } from '../../helpers/fake-crm-module.js';
import { tempDir } from '../../helpers/temp-dir.js';

const overrides = { modules: { hubspot: fakeCrmModule([contact('1')]) } };

describe('crm-agent keys rotate', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('rotates the embedded key file: tokens still decrypt, under a new key, and the rotation is audited', async () => {
    const env = { LOG_LEVEL: 'silent', DATA_DIR: join(dir.path, 'file') };
    const tenantId = (await cli(['connect', 'hubspot', '--token', 'good-abc'], env, { overrides })).stdout.trim();
    const keyBefore = readFileSync(join(env.DATA_DIR, 'master.key'), 'utf8');
    const rotated = await cli(['keys', 'rotate'], env, { overrides });
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/^re-wrapped 1 tenant key\(s\) under master key [0-9a-f]{12}\n$/);
    expect(readFileSync(join(env.DATA_DIR, 'master.key'), 'utf8')).not.toBe(keyBefore);
    expect(readFileSync(join(env.DATA_DIR, 'master.key.previous'), 'utf8')).toBe(keyBefore);
    expect(existsSync(join(env.DATA_DIR, 'master.key.next'))).toBe(false);
    // the token still decrypts: a sync uses it
    const sync = await cli(['sync', '--tenant', tenantId], env, { overrides });
    expect(sync.status).toBe(0);
    expect((await cli(['keys', 'rotate'], env, { overrides })).stdout).toMatch(/^re-wrapped 1 /);
  });

  it('re-wraps under a new key from the environment, keeping the old one only as previous', async () => {
    const oldKey = Buffer.alloc(32, 1).toString('base64');
    const newKey = Buffer.alloc(32, 2).toString('base64');
    const base = { LOG_LEVEL: 'silent', DATA_DIR: join(dir.path, 'env') };
    const tenantId = (
      await cli(
        ['connect', 'hubspot', '--token', 'good-def'],
        { ...base, CRM_AGENT_ENCRYPTION_KEY: oldKey },
        { overrides },
      )
    ).stdout.trim();
    const withOnlyNew = { ...base, CRM_AGENT_ENCRYPTION_KEY: newKey };
    expect((await cli(['sync', '--tenant', tenantId], withOnlyNew, { overrides })).stderr).toMatch(
      /unknown master key/,
    );
    const rotated = await cli(
      ['keys', 'rotate'],
      { ...withOnlyNew, CRM_AGENT_PREVIOUS_ENCRYPTION_KEYS: oldKey },
      { overrides },
    );
    expect(rotated.stdout).toMatch(/^re-wrapped 1 tenant key/);
    expect((await cli(['sync', '--tenant', tenantId], withOnlyNew, { overrides })).status).toBe(0);
  });
});
