import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../src/lib/logger.js';
import type { CrmConnector, StreamPage, SyncStream } from '../../../src/ports/crm-connector.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { runSync } from '../../../src/sync/run-sync.js';
import { contact } from '../../contract/store.contract.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A stream over a fixed list of contact ids, 10 per page, resuming from `state.offset`; it can fail at a page. */
function contactsStream(ids: string[], options: { failAtPage?: number; clock: FixedClock }): SyncStream {
  return {
    name: 'contacts',
    async *read({ cursor, mode }): AsyncIterable<StreamPage> {
      const newPass = !cursor || (mode === 'full' && cursor.state.done === true);
      const passStart = newPass ? new Date(options.clock.now()).toISOString() : String(cursor.state.passStart);
      let offset = newPass ? 0 : Number(cursor.state.offset ?? 0);
      let page = 0;
      while (offset < ids.length) {
        if (page === options.failAtPage) throw new Error('connection reset');
        const slice = ids.slice(offset, offset + 10);
        offset += slice.length;
        page += 1;
        options.clock.advance(1);
        const last = offset >= ids.length;
        yield {
          requests: 1,
          changes: {
            contacts: slice.map((id) => contact(id)),
            rejected: slice.includes('bad') ? [{ type: 'contact', id: 'bad', reason: 'no email' }] : [],
            ...(last ? { sweep: { type: 'contact' as const, notSyncedSince: passStart, at: passStart } } : {}),
          },
          cursor: { watermark: null, state: { offset, passStart, done: last } },
        };
      }
    },
  };
}

const connectorOf = (stream: SyncStream): CrmConnector => ({ crm: 'hubspot', streams: () => [stream] });

describe('runSync', () => {
  const dir = tempDir();
  const clock = new FixedClock();
  let store: Store;
  const deps = () => ({ store, logger: silentLogger() });
  const ids = Array.from({ length: 95 }, (_, i) => `c${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: join(dir.path, 's.db') }, { clock });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('resumes a killed sync after the last written page and ends with every record exactly once', async () => {
    const failing = connectorOf(contactsStream(ids, { failAtPage: 4, clock }));
    await expect(runSync(deps(), { tenantId: 'k', connector: failing, mode: 'full', trigger: 'test' })).rejects.toThrow(
      'connection reset',
    );
    expect(await store.records.count('k', 'contact')).toBe(40);
    expect((await store.cursors.get('k', 'contacts'))?.state.offset).toBe(40);
    const runs = await store.runs.list('k');
    expect(runs[0]).toMatchObject({ status: 'failed', error: 'connection reset' });

    const resumed = await runSync(deps(), {
      tenantId: 'k',
      connector: connectorOf(contactsStream(ids, { clock })),
      mode: 'full',
      trigger: 'test',
    });
    expect(resumed.status).toBe('succeeded');
    expect(resumed.streams.contacts?.pages).toBe(6);
    expect(resumed.counts.contact).toBe(55);
    expect((await store.records.list('k', 'contact')).map((c) => c.id)).toEqual(ids);
    const stages = await store.runs.stages(resumed.runId);
    expect(stages).toEqual([expect.objectContaining({ stage: 'contacts', status: 'succeeded' })]);
  });

  it('archives records a full pass no longer sees', async () => {
    await runSync(deps(), {
      tenantId: 'sw',
      connector: connectorOf(contactsStream(ids, { clock })),
      mode: 'full',
      trigger: 'test',
    });
    clock.advance(1000);
    const fewer = ids.filter((id) => id !== 'c050' && id !== 'c090');
    const summary = await runSync(deps(), {
      tenantId: 'sw',
      connector: connectorOf(contactsStream(fewer, { clock })),
      mode: 'full',
      trigger: 'test',
    });
    expect(summary.counts.swept).toBe(2);
    expect(await store.records.count('sw', 'contact')).toBe(93);
    expect(await store.records.get('sw', 'contact', 'c050')).toMatchObject({ archived: true });
  });

  it('reports rejected records and goes on', async () => {
    const summary = await runSync(deps(), {
      tenantId: 'rj',
      connector: connectorOf(contactsStream(['a', 'bad', 'c'], { clock })),
      mode: 'full',
      trigger: 'test',
    });
    expect(summary.status).toBe('succeeded');
    expect(summary.counts.rejected).toBe(1);
  });

  it('stops at a page boundary when cancelled and says so', async () => {
    const controller = new AbortController();
    const pages: string[] = [];
    const summary = await runSync(deps(), {
      tenantId: 'ab',
      connector: connectorOf(contactsStream(ids, { clock })),
      mode: 'full',
      trigger: 'test',
      signal: controller.signal,
      onPage: ({ stream }) => {
        pages.push(stream);
        if (pages.length === 3) controller.abort();
      },
    });
    expect(summary.status).toBe('cancelled');
    expect(await store.records.count('ab', 'contact')).toBe(30);
    expect((await store.runs.get(summary.runId))?.status).toBe('cancelled');
  });
});
