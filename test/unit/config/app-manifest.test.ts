import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { appManifestSchema, loadAppManifest } from '../../../src/config/app-manifest.js';
import { appManifestPath } from '../../../src/lib/package-root.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('app-manifest.json', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('is valid against the manifest schema', () => {
    const manifest = loadAppManifest(appManifestPath());
    expect(manifest.name).toBe('crm-agent');
    expect(manifest.crms.hubspot.scopes.required).toContain('crm.objects.contacts.write');
    expect(manifest.crms.salesforce.scopes.required).toEqual(expect.arrayContaining(['api', 'refresh_token']));
    expect(manifest.crms.hubspot.redirectPath).not.toBe(manifest.crms.salesforce.redirectPath);
  });

  it('rejects a manifest with a missing scope list, a bad path and a repeated path, naming each', () => {
    const good = loadAppManifest(appManifestPath());
    const bad = structuredClone(good) as Record<string, unknown> & typeof good;
    bad.crms.hubspot.installPath = 'install/hubspot';
    bad.crms.salesforce.webhookPath = bad.crms.hubspot.webhookPath;
    delete (bad.crms.salesforce.scopes as { required?: string[] }).required;
    const file = join(dir.path, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    expect(() => loadAppManifest(file)).toThrow(/crms\.hubspot\.installPath: an absolute URL path/);
    expect(() => loadAppManifest(file)).toThrow(/crms\.salesforce\.scopes\.required/);
    const repeated = structuredClone(good);
    repeated.crms.salesforce.webhookPath = repeated.crms.hubspot.webhookPath;
    expect(appManifestSchema.safeParse(repeated).error?.issues[0]?.message).toMatch(
      /repeats crms\.hubspot\.webhookPath/,
    );
  });

  it('rejects a file that is not JSON', () => {
    const file = join(dir.path, 'broken.json');
    writeFileSync(file, '{ "name": ');
    expect(() => loadAppManifest(file)).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID' }));
  });
});
