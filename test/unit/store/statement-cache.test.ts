import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../../../src/store/open-store.js';
import { withStatementCache } from '../../../src/store/sqlite-dialect.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('SQLite statement cache', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('prepares a statement once and hands it out again, least recently used out', () => {
    const database = new BetterSqlite3(':memory:');
    let prepared = 0;
    const counting = {
      close: () => database.close(),
      prepare: (text: string) => {
        prepared++;
        return database.prepare(text);
      },
    };
    const cached = withStatementCache(counting, 2);
    const a = cached.prepare('select 1');
    expect(cached.prepare('select 1')).toBe(a);
    cached.prepare('select 2');
    cached.prepare('select 1'); // now the most recent: 'select 2' goes first
    cached.prepare('select 3');
    expect(prepared).toBe(3);
    expect(cached.prepare('select 1')).toBe(a);
    cached.prepare('select 2');
    expect(prepared).toBe(4);
    cached.close();
  });

  it('never hands out a statement that is still iterating', () => {
    const database = new BetterSqlite3(':memory:');
    const cached = withStatementCache(database);
    database.exec('create table t (n integer); insert into t values (1), (2), (3)');
    const first = cached.prepare('select n from t order by n');
    const rows = first.iterate([]);
    expect(rows.next().value).toEqual({ n: 1 });
    const second = cached.prepare('select n from t order by n');
    expect(second).not.toBe(first);
    expect(second.all([])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect([...rows]).toEqual([{ n: 2 }, { n: 3 }]);
    cached.close();
  });

  it('keeps answering through a schema change (SQLite re-prepares a kept statement)', async () => {
    const store = await openStore({ kind: 'sqlite', path: join(dir.path, 'schema.db') });
    try {
      await store.db.schema.createTable('t').addColumn('n', 'integer').execute();
      await store.db
        .insertInto('t' as never)
        .values({ n: 1 } as never)
        .execute();
      const read = () =>
        store.db
          .selectFrom('t' as never)
          .selectAll()
          .execute();
      expect(await read()).toEqual([{ n: 1 }]);
      await store.db.schema.alterTable('t').addColumn('m', 'integer').execute();
      expect(await read()).toEqual([{ n: 1, m: null }]);
    } finally {
      await store.close();
    }
  });
});
