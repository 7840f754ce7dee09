import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('loadConfig', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  const load = (env: Record<string, string>, readDotEnv = false) => loadConfig({ env, cwd: '/srv/app', readDotEnv });

  it('gives the embedded setup by default: SQLite under ./data, the local sandboxes, port 3000', () => {
    const config = load({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ kind: 'sqlite', path: '/srv/app/data/crm-agent.db' });
    expect(config.hubspot.apiUrl).toBe('http://127.0.0.1:3101');
    expect(config.salesforce.loginUrl).toBe('http://127.0.0.1:3102');
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.encryptionKey).toBeUndefined();
  });

  it('selects PostgreSQL from DATABASE_URL and SQLite from sqlite:', () => {
    expect(load({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/crm' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://postgres@127.0.0.1:5432/crm',
    });
    expect(load({ DATABASE_URL: 'sqlite:var/x.db' }).database).toEqual({ kind: 'sqlite', path: '/srv/app/var/x.db' });
  });

  it.each([
    ['PORT', 'abc', /PORT must be an integer port between 0 and 65535 \(got "abc"\)/],
    ['PORT', '70000', /PORT must be an integer port/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of fatal, error/],
    ['HUBSPOT_API_URL', 'ftp://x', /HUBSPOT_API_URL must be an http\(s\) URL/],
    ['CRM_AGENT_ENCRYPTION_KEY', 'c2hvcnQ=', /CRM_AGENT_ENCRYPTION_KEY must be 32 bytes, base64-encoded/],
    [
      'DATABASE_URL',
      'mysql://root@localhost/db',
      /DATABASE_URL must be a postgres:\/\/user@host:5432\/database URL or sqlite:/,
    ],
    ['DATABASE_URL', 'not a url', /DATABASE_URL must be/],
    ['DATABASE_URL', 'postgres://127.0.0.1', /DATABASE_URL must name a host and a database/],
  ])('names the bad variable %s=%s and what it expects', (name, value, message) => {
    const error = (() => {
      try {
        load({ [name]: value });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never echoes a database password in its error', () => {
    expect(() => load({ DATABASE_URL: 'mysql://admin:hunter2@db/x' })).toThrow(/mysql:\/\/admin:\[redacted\]@db\/x/);
    expect(() => load({ DATABASE_URL: 'mysql://admin:hunter2@db/x' })).not.toThrow(/hunter2/);
  });

  it('reads an optional .env, with the real environment taking precedence', () => {
    writeFileSync(join(dir.path, '.env'), 'PORT=4000\nLOG_LEVEL=debug\n# comment\nHUBSPOT_CLIENT_ID=abc\n');
    const config = loadConfig({ env: { LOG_LEVEL: 'warn' }, cwd: dir.path });
    expect(config.port).toBe(4000);
    expect(config.log.level).toBe('warn');
    expect(config.hubspot.clientId).toBe('abc');
  });

  it('decodes the encryption key', () => {
    const key = Buffer.alloc(32, 7);
    expect(load({ CRM_AGENT_ENCRYPTION_KEY: key.toString('base64') }).encryptionKey?.equals(key)).toBe(true);
  });
});
