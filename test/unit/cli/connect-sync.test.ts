import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { contact } from '../../contract/store.contract.js';
import { cli } from '../../helpers/cli.js';
import { fakeCrmModule } from '../../helpers/fake-crm-module.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('crm-agent connect, tenants and sync', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  const env = { LOG_LEVEL: 'silent', DATA_DIR: dir.path };
  const module = fakeCrmModule([contact('1'), contact('2'), contact('3')]);
  const overrides = { modules: { hubspot: module } };

  it('says a CRM without a connector is not built yet', async () => {
    const { status, stderr } = await cli(['connect', 'salesforce', '--token', 'x'], env, { overrides });
    expect(status).toBe(2);
    expect(stderr.trim()).toBe('crm-agent: the salesforce connector is not built yet.');
  });

  it('refuses a token the CRM rejects and stores nothing', async () => {
    const { status, stderr } = await cli(['connect', 'hubspot', '--token', 'revoked'], env, { overrides });
    expect(status).toBe(1);
    expect(stderr).toMatch(/^crm-agent: 401 Unauthorized/);
    expect((await cli(['tenants'], env, { overrides })).stdout).toMatch(/^no tenants yet/);
  });

  it('registers a tenant once per CRM account, stores its token encrypted, and syncs it', async () => {
    const first = await cli(
      ['connect', 'hubspot', '--token', 'good-secret-token', '--base-url', 'http://127.0.0.1:9/'],
      env,
      { overrides },
    );
    expect(first.status).toBe(0);
    const tenantId = first.stdout.trim();
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await cli(['connect', 'hubspot', '--token', 'good-secret-token'], env, { overrides });
    expect(again.stdout.trim()).toBe(tenantId);
    const listed = await cli(['tenants'], env, { overrides });
    expect(listed.stdout.trim().split('\n')).toEqual([`${tenantId}\thubspot\t42\tactive\tPortal 42`]);
    expect(readFileSync(join(dir.path, 'crm-agent.db')).includes('good-secret-token')).toBe(false);

    const sync = await cli(['sync', '--tenant', tenantId, '--full'], env, { overrides });
    expect(sync.status).toBe(0);
    expect(sync.stdout).toMatch(/^sync full succeeded in \d+\.\d s: contact=3\nrequests=2 throttled\(429\)=1 run=/);
    expect(module.tokensSeen).toEqual(['good-secret-token', 'good-secret-token']);

    // `run` follows the cycle's phases with a progress bar on a terminal; piped, it prints only its summary.
    const onTerminal = await cli(['run', '--tenant', tenantId, '--dry-run'], env, { overrides, tty: true });
    expect(onTerminal.stdout).toMatch(/^run \S+ (succeeded|failed)/);
    expect(onTerminal.stderr).toMatch(/run .* \d\/\d (succeeded|failed)/);
    const piped = await cli(['run', '--tenant', tenantId, '--dry-run'], env, { overrides });
    expect(piped.stdout).toMatch(/^run \S+ (succeeded|failed)/);
    expect(piped.stderr).toBe('');
  });

  it('names an unknown tenant', async () => {
    const { status, stderr } = await cli(['sync', '--tenant', 'nope'], env, { overrides });
    expect(status).toBe(1);
    expect(stderr).toMatch(/no tenant with id nope/);
  });
});
