import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EngineResult } from '../../src/engine/types.js';
import type { Store } from '../../src/store/open-store.js';
import type { ActionQuery } from '../../src/store/repositories/action-list.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { contact, deal, type StoreTarget } from './store.contract.js';
import { engineResult } from './store-retention.contract.js';

const ACTIONS = ['call', 'email', 'discount_offer'] as const;
const PRIORITIES = ['high', 'medium', 'low'] as const;

const query = (q: Partial<ActionQuery> = {}): ActionQuery => ({
  sort: 'value',
  descending: true,
  offset: 0,
  limit: 50,
  ...q,
});

/** The dashboard's actions table, paged, sorted and filtered in the store, the same on every store target. */
export function actionListContract(target: StoreTarget): void {
  describe(`the actions table: ${target.name}`, () => {
    const clock = new FixedClock();
    let store: Store;

    beforeAll(async () => {
      store = await target.open(clock);
      await store.migrate();
      const owner = (id: string, name: string) => ({
        id,
        createdAt: null,
        updatedAt: null,
        archived: false,
        archivedAt: null,
        mergedInto: null,
        properties: {},
        name,
        email: `${id}@x.test`,
        active: true,
      });
      await store.records.upsert('t', 'owner', [owner('7', 'Ada Owner'), owner('8', 'Bob Owner')]);
      await store.records.upsert(
        't',
        'deal',
        Array.from({ length: 30 }, (_, i) =>
          deal(`d${i}`, { name: i === 3 ? 'Acme 50%_off renewal' : `Deal ${i}`, ownerId: i % 2 === 0 ? '7' : '8' }),
        ),
      );
      await store.records.upsert('t', 'contact', [contact('c0', { firstName: 'Zed', lastName: 'Zulu' })]);
      const result = engineResult('t', {
        deals: 30,
        contacts: 1,
        action: (i) => (i === 29 ? 'none' : ACTIONS[i % 3]!),
      }) as EngineResult;
      result.actions.actions = result.actions.actions.map((a, i) => ({
        ...a,
        priority: PRIORITIES[i % 3]!,
        dueDate: `2026-12-${String(1 + (i % 28)).padStart(2, '0')}`,
        segmentKey: i < 10 ? 's1' : null,
      }));
      result.actions.actions.push({
        objectType: 'contact',
        recordId: 'c0',
        actionKey: 't:contact:c0:email',
        action: 'email',
        priority: 'low',
        dueDate: '',
        reason: 'cold',
        value: 1,
        segmentKey: 's2',
      });
      const runId = await store.runs.start('t', 'cycle', 'test');
      await store.results.save('t', runId, result);
      await store.runs.finish(runId, 'succeeded', {});
    });
    afterAll(async () => {
      await store.close();
    });

    it('pages every current action but "none", by worth, with names and owners joined', async () => {
      const first = await store.actionList.page('t', query({ limit: 10 }));
      expect(first.total).toBe(30);
      expect(first.rows.map((r) => r.recordId)).toEqual(Array.from({ length: 10 }, (_, i) => `d${i}`));
      expect(first.rows[0]).toMatchObject({ name: 'Deal 0', ownerName: 'Ada Owner', action: 'call', segmentKey: 's1' });
      const last = await store.actionList.page('t', query({ offset: 20, limit: 10 }));
      expect(last.rows.map((r) => r.recordId)).toEqual([...Array.from({ length: 9 }, (_, i) => `d${20 + i}`), 'c0']);
      expect(last.rows.at(-1)).toMatchObject({ name: 'Zed Zulu', dueDate: '' });
    });

    it('filters by owner, action, priority, segment and words in the name or reason', async () => {
      const byOwner = await store.actionList.page('t', query({ ownerId: '8' }));
      expect(byOwner.total).toBe(14); // odd deals but d29, whose action is 'none'
      expect(byOwner.rows.every((r) => r.ownerName === 'Bob Owner')).toBe(true);
      const both = await store.actionList.page('t', query({ action: 'call', priority: 'high' }));
      expect(both.rows.map((r) => r.recordId)).toEqual([
        'd0',
        'd3',
        'd6',
        'd9',
        'd12',
        'd15',
        'd18',
        'd21',
        'd24',
        'd27',
      ]);
      expect((await store.actionList.page('t', query({ segmentKey: 's2' }))).rows.map((r) => r.recordId)).toEqual([
        'c0',
      ]);
      // LIKE's wildcards in the words are taken literally.
      const words = await store.actionList.page('t', query({ text: '50%_OFF' }));
      expect(words.rows.map((r) => r.recordId)).toEqual(['d3']);
      expect((await store.actionList.page('t', query({ text: '5%' }))).total).toBe(0);
      expect((await store.actionList.page('t', query({ text: 'COLD' }))).rows.map((r) => r.recordId)).toEqual(['c0']);
    });

    it('sorts by priority, due date, record name and owner', async () => {
      const byPriority = await store.actionList.page('t', query({ sort: 'priority', descending: false, limit: 100 }));
      const ranks = byPriority.rows.map((r) => PRIORITIES.indexOf(r.priority as never));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      const byDue = await store.actionList.page('t', query({ sort: 'due', descending: true, limit: 3 }));
      expect(byDue.rows.map((r) => r.dueDate)).toEqual(['2026-12-28', '2026-12-27', '2026-12-26']);
      const byName = await store.actionList.page('t', query({ sort: 'record', descending: false, limit: 1 }));
      expect(byName.rows[0]!.name).toBe('Acme 50%_off renewal');
      const byOwner = await store.actionList.page('t', query({ sort: 'owner', descending: true, limit: 1 }));
      expect(byOwner.rows[0]!.ownerName).toBe('Bob Owner');
    });

    it('lists the values each filter can take', async () => {
      const facets = await store.actionList.facets('t');
      expect(facets).toEqual({
        total: 30,
        actions: ['call', 'discount_offer', 'email'],
        priorities: ['high', 'medium', 'low'],
        segments: expect.arrayContaining(['s1', 's2']),
        owners: [
          { id: '7', name: 'Ada Owner' },
          { id: '8', name: 'Bob Owner' },
        ],
      });
      expect((await store.actionList.facets('nobody')).total).toBe(0);
    });
  });
}
