import { describe, expect, it } from '@jest/globals';
import {
  inlineLabel,
  MappingError,
  mapContact,
  mapDeal,
  mapLineItem,
  mapPropertyDefinitions,
  stageChanges,
  stageMeanings,
  v4Label,
} from '../../../connectors/hubspot/map.js';
import type { ObjectRecord } from '../../../connectors/hubspot/schemas.js';
import { mergeGenerators } from '../../../connectors/hubspot/streams/merge.js';
import { planStep } from '../../../connectors/hubspot/streams/portal-stream.js';

const record = (properties: Record<string, string | null>, extra: Partial<ObjectRecord> = {}): ObjectRecord => ({
  id: '501',
  properties,
  createdAt: '2025-01-02T03:04:05.000Z',
  updatedAt: '2026-10-01T00:00:00.000Z',
  archived: false,
  ...extra,
});

const pipelines = {
  results: [
    {
      id: 'default',
      label: 'Sales',
      stages: [
        { id: 'contractsent', label: 'Contract Sent', metadata: { isClosed: 'false', probability: '0.9' } },
        { id: 'closedwon', label: 'Closed Won', metadata: { isClosed: 'true', probability: '1.0' } },
        { id: 'closedlost', label: 'Closed Lost', metadata: { isClosed: 'true', probability: '0.0' } },
      ],
    },
  ],
};

describe('HubSpot → canonical model', () => {
  it('maps a contact: activity from the later of notes and engagement, opens and page views as numbers', () => {
    const contact = mapContact(
      record({
        email: 'ada@example.org',
        firstname: 'Ada',
        lastname: null,
        associatedcompanyid: '5000001',
        hubspot_owner_id: '50000001',
        lifecyclestage: 'customer',
        notes_last_updated: '2026-09-01T00:00:00Z',
        hs_last_sales_activity_timestamp: '1790000000000',
        hs_email_open: '12',
        hs_analytics_num_page_views: '',
        phone: '+1 555',
        hs_object_id: '501',
        lastmodifieddate: '2026-10-01T00:00:00Z',
      }),
      [],
    );
    expect(contact).toEqual({
      id: '501',
      crmObject: 'contact',
      createdAt: '2025-01-02T03:04:05.000Z',
      updatedAt: '2026-10-01T00:00:00.000Z',
      archived: false,
      archivedAt: null,
      mergedInto: null,
      properties: { phone: '+1 555' },
      email: 'ada@example.org',
      firstName: 'Ada',
      lastName: null,
      companyId: '5000001',
      ownerId: '50000001',
      lifecycleStage: 'customer',
      leadStatus: null,
      jobTitle: null,
      country: null,
      lastActivityAt: new Date(1_790_000_000_000).toISOString(),
      emailOpens: 12,
      pageViews: null,
    });
  });

  it('maps a deal: won and closed from the pipeline stage metadata, company from the primary link, activity count', () => {
    const stages = stageMeanings(pipelines);
    const links = [
      { fromType: 'deal' as const, fromId: '501', toType: 'company' as const, toId: '7', label: '' },
      { fromType: 'deal' as const, fromId: '501', toType: 'company' as const, toId: '8', label: 'Primary' },
    ];
    const won = mapDeal(
      record({ dealstage: 'closedwon', amount: '1200.5', num_notes: '7', closedate: '2026-08-01T00:00:00Z' }),
      links,
      stages,
    );
    expect(won).toMatchObject({
      isClosed: true,
      isWon: true,
      amount: 1200.5,
      activityCount: 7,
      companyId: '8',
      closeDate: '2026-08-01T00:00:00.000Z',
    });
    expect(mapDeal(record({ dealstage: 'closedlost' }), [], stages)).toMatchObject({
      isClosed: true,
      isWon: false,
      companyId: null,
    });
    expect(mapDeal(record({ dealstage: 'contractsent' }), [], stages)).toMatchObject({ isClosed: false, isWon: false });
    // A stage the pipelines do not list falls back on HubSpot's calculated flags.
    expect(
      mapDeal(record({ dealstage: 'gone', hs_is_closed: 'true', hs_is_closed_won: 'true' }), [], stages),
    ).toMatchObject({ isWon: true });
    expect(() => mapDeal(record({ amount: 'twelve' }), [], stages)).toThrow(MappingError);
  });

  it('turns dealstage history into stage changes, each with the amount the deal had then', () => {
    const deal = record(
      { dealstage: 'closedwon', amount: '900' },
      {
        propertiesWithHistory: {
          dealstage: [
            { value: 'closedwon', timestamp: '2026-03-01T00:00:00Z' },
            { value: 'contractsent', timestamp: '2026-02-01T00:00:00Z' },
          ],
          amount: [
            { value: '900', timestamp: '2026-02-15T00:00:00Z' },
            { value: '1000', timestamp: '2026-01-01T00:00:00Z' },
          ],
        },
      },
    );
    expect(stageChanges(deal)).toEqual([
      { dealId: '501', stage: 'closedwon', enteredAt: '2026-03-01T00:00:00.000Z', amount: 900 },
      { dealId: '501', stage: 'contractsent', enteredAt: '2026-02-01T00:00:00.000Z', amount: 1000 },
    ]);
  });

  it('maps a line item to its deal and product', () => {
    const item = mapLineItem(record({ hs_product_id: '15000002', quantity: '3', price: '40', amount: '108' }), [
      { fromType: 'line_item', fromId: '501', toType: 'deal', toId: '9000001', label: '' },
    ]);
    expect(item).toMatchObject({ dealId: '9000001', productId: '15000002', quantity: 3, unitPrice: 40, amount: 108 });
  });

  it('labels associations the same from v3 inline names and v4 types', () => {
    expect(inlineLabel('contact_to_company')).toBe('Primary');
    expect(inlineLabel('contact_to_company_unlabeled')).toBe('');
    expect(inlineLabel('deal_to_line_item')).toBe('');
    expect(inlineLabel('decision_maker')).toBe('decision_maker');
    expect(v4Label({ category: 'HUBSPOT_DEFINED', typeId: 1, label: 'Primary' })).toBe('Primary');
    expect(v4Label({ category: 'HUBSPOT_DEFINED', typeId: 279, label: null })).toBe('');
    expect(v4Label({ category: 'USER_DEFINED', typeId: 77 })).toBe('77');
  });

  it('keeps property definitions with deal stages carrying their pipeline metadata', () => {
    const [stage, custom] = mapPropertyDefinitions(
      'deal',
      [
        {
          name: 'dealstage',
          label: 'Deal Stage',
          type: 'enumeration',
          fieldType: 'radio',
          groupName: 'dealinformation',
          hubspotDefined: true,
          options: [{ label: 'Closed Won', value: 'closedwon', hidden: false }],
        },
        {
          name: 'acme_score',
          label: 'Score',
          type: 'number',
          hubspotDefined: false,
          modificationMetadata: { readOnlyValue: false },
        },
        { name: 'old', label: 'Old', type: 'string', archived: true },
      ],
      pipelines,
    );
    expect(stage!.options[0]).toEqual({
      value: 'closedwon',
      label: 'Closed Won',
      hidden: false,
      metadata: { pipelineId: 'default', pipelineLabel: 'Sales', isClosed: 'true', probability: '1.0' },
    });
    expect(custom).toMatchObject({ name: 'acme_score', custom: true, readOnly: false });
  });
});

describe('keyset windows over search', () => {
  const rows = (n: number, ts: (i: number) => number, from = 1) =>
    Array.from({ length: n }, (_, i) => ({ id: String(from + i), ts: ts(i) }));

  it('starts the next query at the last modified value, skipping what it already read there', () => {
    const first = planStep(
      {},
      rows(200, (i) => 1000 + Math.floor(i / 2)),
    );
    expect(first.ids).toHaveLength(200);
    expect(first.done).toBe(false);
    expect(first.next).toMatchObject({ lastTs: 1099, seen: ['199', '200'] });
    const second = planStep(first.next, [...rows(2, () => 1099, 199), ...rows(50, (i) => 1100 + i, 201)]);
    expect(second.ids).toEqual(rows(50, () => 0, 201).map((r) => r.id));
    expect(second.done).toBe(true);
  });

  it('reads through more than a page of records sharing one instant by id, then goes on strictly after it', () => {
    const start = planStep(
      {},
      rows(200, () => 5000),
    );
    expect(start.next).toMatchObject({ lastTs: 5000 });
    const stuck = planStep(
      start.next,
      rows(200, () => 5000),
    );
    expect(stuck.ids).toEqual([]);
    expect(stuck.next.tieAfterId).toBe('0');
    const through = planStep(
      stuck.next,
      rows(200, () => 5000, 201),
    );
    expect(through.ids).toHaveLength(200);
    expect(through.next.tieAfterId).toBe('400');
    const last = planStep(
      through.next,
      rows(30, () => 5000, 401),
    );
    expect(last.ids).toHaveLength(30);
    expect(last.next).toMatchObject({ strict: true, lastTs: 5000 });
    expect(last.next.tieAfterId).toBeUndefined();
  });
});

describe('mergeGenerators', () => {
  async function* source(key: string, n: number, failAt?: number) {
    for (let i = 0; i < n; i++) {
      if (i === failAt) throw new Error(`${key} failed`);
      await Promise.resolve();
      yield `${key}${i}`;
    }
  }

  it('yields every value of every source, at most `concurrency` sources at a time', async () => {
    const started: string[] = [];
    const out: string[] = [];
    const sources = ['a', 'b', 'c'].map((key) => ({
      key,
      start: () => {
        started.push(key);
        return source(key, 3);
      },
    }));
    for await (const { key, value } of mergeGenerators(sources, 2)) {
      out.push(value);
      if (out.length === 1) expect(started).toEqual(['a', 'b']);
      expect(value.startsWith(key)).toBe(true);
    }
    expect(out.sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'c0', 'c1', 'c2']);
  });

  it('fails when a source fails', async () => {
    const sources = [
      { key: 'a', start: () => source('a', 5) },
      { key: 'b', start: () => source('b', 5, 2) },
    ];
    const run = async () => {
      for await (const _ of mergeGenerators(sources, 2)) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow('b failed');
  });
});
