import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { hashEndpointSecret, OUTBOUND_SECRET } from '../../../src/install/outbound-secret.js';
import { openStore } from '../../../src/store/open-store.js';
import { contact } from '../../contract/store.contract.js';
import { cli } from '../../helpers/cli.js';
import { fakeCrmModule } from '../../helpers/fake-crm-module.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('crm-agent outbound-url', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  const env = { LOG_LEVEL: 'silent', DATA_DIR: dir.path, PUBLIC_URL: 'https://agent.example.com' };
  const fake = fakeCrmModule([contact('1')]);
  const overrides = { modules: { hubspot: fake, salesforce: { ...fake, crm: 'salesforce' as const } } };

  it("issues a Salesforce org's secret endpoint URL, keeps only its hash, and a new one replaces the old", async () => {
    const tenantId = (await cli(['connect', 'salesforce', '--token', 'good-sf'], env, { overrides })).stdout.trim();
    const first = await cli(['outbound-url', '--tenant', tenantId], env, { overrides });
    expect(first.status).toBe(0);
    const url = first.stdout.trim();
    expect(url).toMatch(/^https:\/\/agent\.example\.com\/webhooks\/salesforce\/[A-Za-z0-9_-]{43}$/);
    expect(first.stderr).toMatch(/Endpoint URL .* shown once/);
    // The rule that sends the messages leaves out the user the tenant's token acts as (crm-agent's own writes).
    expect(first.stderr).toContain('criterion is the formula CASESAFEID($User.Id) <> "005Hs00000AbCdEIAZ"');
    const second = (await cli(['outbound-url', '--tenant', tenantId], env, { overrides })).stdout.trim();
    expect(second).not.toBe(url);

    const store = await openStore({ kind: 'sqlite', path: join(dir.path, 'crm-agent.db') });
    try {
      const rows = await store.db.selectFrom('endpointSecrets').selectAll().where('tenantId', '=', tenantId).execute();
      const secret = second.slice(second.lastIndexOf('/') + 1);
      expect(rows.map((r) => [r.purpose, r.secretHash])).toEqual([[OUTBOUND_SECRET, hashEndpointSecret(secret)]]);
      expect(JSON.stringify(rows)).not.toContain(secret);
    } finally {
      await store.close();
    }
  });

  it('refuses a HubSpot tenant and an unknown tenant with one line', async () => {
    const tenantId = (await cli(['connect', 'hubspot', '--token', 'good-hs'], env, { overrides })).stdout.trim();
    const hubspot = await cli(['outbound-url', '--tenant', tenantId], env, { overrides });
    expect(hubspot.status).toBe(1);
    expect(hubspot.stderr.trim().split('\n')).toEqual([expect.stringMatching(/only Salesforce orgs/)]);
    const unknown = await cli(['outbound-url', '--tenant', 'nope'], env, { overrides });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no tenant with id nope/);
  });
});
