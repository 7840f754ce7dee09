import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { buildProgram, EXIT } from '../../../src/cli/main.js';
import { MIGRATIONS, migrationId } from '../../../src/store/migrations/index.js';
import { Capture } from '../../helpers/capture.js';
import { cli } from '../../helpers/cli.js';
import { createTestDatabase } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir();
afterAll(() => dir.remove());
/** What `migrate` reports for an empty database: every migration this code knows. */
const APPLIED = MIGRATIONS.map(migrationId).join(', ');
const LATEST = MIGRATIONS.at(-1)!.version;
const quiet = { LOG_LEVEL: 'silent' };

const commandNames = buildProgram({
  env: {},
  cwd: '/',
  stdout: new Capture(),
  stderr: new Capture(),
  signal: new AbortController().signal,
}).commands.map((c) => c.name());

describe('crm-agent CLI', () => {
  it('has every entry point later work fills in', () => {
    expect(commandNames).toEqual(
      expect.arrayContaining([
        'demo',
        'serve',
        'worker',
        'sandbox',
        'run',
        'sync',
        'eval',
        'migrate',
        'manifest',
        'connect',
        'tenants',
      ]),
    );
  });

  it.each(commandNames)('answers `%s --help` with its usage', async (name) => {
    const { status, stdout } = await cli([name, '--help'], quiet);
    expect(status).toBe(EXIT.ok);
    expect(stdout).toMatch(new RegExp(`^Usage: crm-agent ${name}`));
  });

  it('answers --help and --version at the top', async () => {
    const help = await cli(['--help'], quiet);
    expect(help.status).toBe(0);
    for (const name of commandNames) expect(help.stdout).toContain(name);
    const version = await cli(['--version'], quiet);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects an unknown option with one clear line and a non-zero exit', async () => {
    const { status, stderr } = await cli(['migrate', '--frobnicate'], quiet);
    expect(status).toBe(EXIT.failed);
    expect(stderr).toMatch(/^error: unknown option '--frobnicate'/);
  });

  it('refuses to start a worker on the embedded SQLite store', async () => {
    const { status, stderr } = await cli(['worker'], { ...quiet, DATA_DIR: join(dir.path, 'w') });
    expect(status).toBe(EXIT.failed);
    expect(stderr).toMatch(/worker needs PostgreSQL/);
  });

  it('rejects an unknown command', async () => {
    const { status, stderr } = await cli(['frobnicate'], quiet);
    expect(status).toBe(EXIT.failed);
    expect(stderr).toMatch(/unknown command 'frobnicate'/);
  });

  describe('migrate', () => {
    it('applies the migrations to SQLite, then finds none pending', async () => {
      const env = { ...quiet, DATA_DIR: join(dir.path, 'm1') };
      const first = await cli(['migrate'], env);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(
        new RegExp(`^applied ${APPLIED}; schema version ${LATEST} at sqlite:.*m1/crm-agent\\.db\n$`),
      );
      const second = await cli(['migrate'], env);
      expect(second.stdout).toMatch(new RegExp(`^no pending migrations; schema version ${LATEST}`));
    });

    it('applies the migrations to PostgreSQL', async () => {
      const database = await createTestDatabase();
      try {
        const { status, stdout } = await cli(['migrate'], { ...quiet, DATABASE_URL: database.url });
        expect(status).toBe(0);
        expect(stdout).toMatch(new RegExp(`^applied ${APPLIED}; schema version ${LATEST} at postgres:`));
      } finally {
        await database.drop();
      }
    });

    it.each([
      [
        'a malformed DATABASE_URL',
        { DATABASE_URL: 'postgres//oops' },
        /^crm-agent: Invalid configuration: DATABASE_URL must be/,
      ],
      [
        'an unreachable database',
        { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/crm' },
        /^crm-agent: cannot reach the database at postgres:\/\/postgres:\[redacted\]@127\.0\.0\.1:1\/crm: .*ECONNREFUSED/,
      ],
      [
        'an unwritable data directory',
        { DATA_DIR: join(dir.path, 'a-file', 'data') },
        /^crm-agent: data directory .* is not writable/,
      ],
    ])('fails on %s with one line and a non-zero exit', async (_what, env, message) => {
      writeFileSync(join(dir.path, 'a-file'), 'not a directory');
      const { status, stdout, stderr } = await cli(['migrate'], { ...quiet, ...env });
      expect(status).toBe(EXIT.failed);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).not.toContain('secret');
      expect(stdout).toBe('');
    });

    it('refuses a database whose schema is newer than the code, changing nothing', async () => {
      const env = { ...quiet, DATA_DIR: join(dir.path, 'newer') };
      await cli(['migrate'], env);
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(join(dir.path, 'newer', 'crm-agent.db'));
      db.prepare("insert into schema_migrations (name, timestamp) values ('0042_future', 'x')").run();
      const before = db.prepare("select count(*) as n from sqlite_master where type = 'table'").get();
      db.close();
      const { status, stderr } = await cli(['migrate'], env);
      expect(status).toBe(EXIT.failed);
      expect(stderr).toMatch(
        new RegExp(
          `^crm-agent: the database schema is newer than this crm-agent \\(it has 0042_future; this version knows up to ${LATEST}\\): upgrade crm-agent\n$`,
        ),
      );
      const after = new Database(join(dir.path, 'newer', 'crm-agent.db'));
      expect(after.prepare("select count(*) as n from sqlite_master where type = 'table'").get()).toEqual(before);
      after.close();
    });
  });
});
