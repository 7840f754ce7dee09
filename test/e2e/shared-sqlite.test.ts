import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { startSandbox, TEST_KEY } from '../helpers/hubspot.js';
import { type Spawned, spawnProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Another process holding the store open and writing all the time, the way `serve`/`demo` do: short write
 * transactions a few milliseconds apart, each reading before it writes.
 */
const WRITER = `
import Database from 'better-sqlite3';
const db = new Database(process.argv[1]);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 10000');
db.exec('create table if not exists busy_writer (n integer, at text)');
let n = 0;
const write = () => {
  db.exec('begin immediate');
  db.prepare('select count(*) from busy_writer').get();
  db.prepare('insert into busy_writer values (?, ?)').run(n++, new Date().toISOString());
  const until = Date.now() + 20;
  while (Date.now() < until) {} // holds the write lock a while, like a page of records being stored
  db.exec('commit');
  if (n === 20) console.log('writing');
  setTimeout(write, 5); // a server's writes come with gaps (requests, CRM calls); back to back, SQLite would starve others
};
write();
`;

describe('the CLI beside a process writing the same SQLite store', () => {
  let sb: HubSpotSandbox;
  let url: string;
  let writer: Spawned | undefined;
  const dir = tempDir();
  const env = () => ({
    DATA_DIR: dir.path,
    LOG_LEVEL: 'warn',
    CRM_AGENT_ENCRYPTION_KEY: TEST_KEY,
    HUBSPOT_API_URL: url,
  });

  beforeAll(async () => {
    ({ sb, url } = await startSandbox({ seed: 5, contacts: 400, companies: 60, deals: 150, limits: 'off' }));
  });
  afterAll(async () => {
    await writer?.stop();
    await sb.close();
    dir.remove();
  });

  it('`run --dry-run`, `sync` and `tenants` succeed, without a stack trace', async () => {
    const connected = spawnProcess(
      process.execPath,
      ['bin/crm-agent.js', 'connect', 'hubspot', '--token', sb.token, '--base-url', url],
      env(),
    );
    expect(await connected.exited()).toBe(0);
    const tenantId = connected.stdout().trim();

    writer = spawnProcess(process.execPath, ['--input-type=module', '-e', WRITER, join(dir.path, 'crm-agent.db')], {});
    await writer.waitFor(/writing/);

    const run = spawnProcess(process.execPath, ['bin/crm-agent.js', 'run', '--tenant', tenantId, '--dry-run'], env());
    const status = await run.exited();
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(status).toBe(0);
    expect(run.stdout()).toMatch(/^run \S+ succeeded/m);
    expect(run.stdout()).toMatch(/^dry run: /m);

    const sync = spawnProcess(process.execPath, ['bin/crm-agent.js', 'sync', '--tenant', tenantId], env());
    expect(await sync.exited()).toBe(0);
    const tenants = spawnProcess(process.execPath, ['bin/crm-agent.js', 'tenants'], env());
    expect(await tenants.exited()).toBe(0);
    expect(tenants.stdout()).toContain(tenantId);
    expect(writer.child.exitCode).toBeNull(); // the writer never failed either
  }, 600_000);
});
