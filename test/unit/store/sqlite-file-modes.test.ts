import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { openStore } from '../../../src/store/open-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('SQLite files are readable by their owner only', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('creates the database, its WAL and its shared-memory file 0600 whatever the umask', async () => {
    const path = join(dir.path, 'fresh.db');
    const umask = process.umask(0o022);
    try {
      const store = await openStore({ kind: 'sqlite', path });
      await store.migrate();
      await store.tenants.upsert({ crm: 'hubspot', externalId: '1', name: 'T', apiBaseUrl: 'x' });
      expect([mode(path), mode(`${path}-wal`), mode(`${path}-shm`)]).toEqual([0o600, 0o600, 0o600]);
      await store.close();
    } finally {
      process.umask(umask);
    }
  });

  it('tightens a database an older version left world-readable', async () => {
    const path = join(dir.path, 'old.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const store = await openStore({ kind: 'sqlite', path });
    await store.migrate();
    expect([mode(path), mode(`${path}-wal`), mode(`${path}-shm`)]).toEqual([0o600, 0o600, 0o600]);
    await store.close();
  });
});
