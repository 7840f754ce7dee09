import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../../../src/http/create-app.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { MIGRATIONS } from '../../../src/store/migrations/index.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

const LATEST = MIGRATIONS.at(-1)!.version;

describe('GET /healthz', () => {
  const dir = tempDir();
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: join(dir.path, 'h.db') });
    await store.migrate();
  });
  afterAll(() => dir.remove());

  it('answers 200 with the version and schema version while the store is reachable', async () => {
    const app = createApp({ store, logger: silentLogger(), version: '9.9.9' });
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', version: '9.9.9', schemaVersion: LATEST });
  });

  it('answers while a transaction holds the store (it does not queue behind the work of other requests)', async () => {
    const app = createApp({ store, logger: silentLogger(), version: '9.9.9' });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const transaction = store.transaction(async (tx) => {
      await tx.tenants.list();
      entered();
      await held;
    });
    await inside;
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', version: '9.9.9', schemaVersion: LATEST });
    release();
    await transaction;
  });

  it('answers 503 once the store is unreachable', async () => {
    const app = createApp({ store, logger: silentLogger(), version: '9.9.9' });
    await store.close();
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'unavailable', version: '9.9.9' });
  });

  it('answers unknown paths with a JSON 404', async () => {
    const app = createApp({ store, logger: silentLogger(), version: '9.9.9' });
    const res = await request(app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ status: 'error', message: 'not found' });
  });
});
