import { describe, expect, it } from '@jest/globals';
import type { OwnWriteCandidate } from '../../../src/ports/crm-connector.js';
import type { Repositories } from '../../../src/store/repositories/index.js';
import { OWN_WRITE_WINDOW, ownWriteCheck } from '../../../src/sync/own-write-check.js';

const WROTE = '2026-11-01T08:00:10.000Z';
const local = {
  id: '1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-10-01T00:00:00.000Z',
  archived: false,
  email: 'ann@example.com',
  jobTitle: 'Buyer',
  properties: { phone: '+1 555', crm_agent_churn_risk: '72', crm_agent_scored_at: '2026-11-01T08:00:00.000Z' },
};

/** Stores that know one record, written by crm-agent at WROTE. */
function check() {
  const repos = {
    writeback: {
      lastWrites: async (_t: string, _type: string, ids: readonly string[]) =>
        new Map(ids.filter((id) => id === '1').map((id) => [id, WROTE])),
    },
    records: { getMany: async () => new Map([['1', structuredClone(local)]]) },
  } as unknown as Pick<Repositories, 'records' | 'writeback'>;
  return ownWriteCheck(repos, 't', (f) => f.name);
}

/** The record as the CRM reports it after crm-agent's write, with `change` on top. */
function seen(change: Record<string, unknown> = {}, at = '2026-11-01T08:00:09.500Z'): OwnWriteCandidate {
  const { properties, ...rest } = change as { properties?: Record<string, string | null> };
  return {
    id: '1',
    modifiedAt: at,
    record: {
      ...structuredClone(local),
      updatedAt: at,
      // As the CRM sends crm-agent's values: other formats of the same values.
      properties: {
        ...local.properties,
        crm_agent_churn_risk: '72.0',
        crm_agent_scored_at: '2026-11-01T08:00:00Z',
        ...properties,
      },
      ...rest,
    },
  };
}

describe('ownWriteCheck', () => {
  it("names a record whose values all equal the local copy, modified at crm-agent's own write", async () => {
    expect(await check()('contact', [seen()])).toEqual(new Set(['1']));
  });

  it('leaves out a rep edit made with the write (same instant): another field, a property, or one of crm-agent’s', async () => {
    expect(await check()('contact', [seen({ jobTitle: 'Head of buying' })])).toEqual(new Set());
    expect(await check()('contact', [seen({ properties: { phone: '+1 556' } })])).toEqual(new Set());
    expect(await check()('contact', [seen({ properties: { crm_agent_churn_risk: '10' } })])).toEqual(new Set());
    expect(await check()('contact', [seen({ properties: { fax: '+1 557' } })])).toEqual(new Set());
  });

  it('leaves out a record modified away from its own write, or never written, or unknown locally', async () => {
    const late = new Date(Date.parse(WROTE) + OWN_WRITE_WINDOW.afterMs + 1).toISOString();
    const early = new Date(Date.parse(WROTE) - OWN_WRITE_WINDOW.beforeMs - 1).toISOString();
    expect(await check()('contact', [seen({}, late)])).toEqual(new Set());
    expect(await check()('contact', [seen({}, early)])).toEqual(new Set());
    expect(await check()('contact', [{ ...seen(), id: '2' }])).toEqual(new Set());
  });

  it('compares only the fields the stream could tell (a field left out is not a change)', async () => {
    const partial = seen();
    delete partial.record.jobTitle;
    expect(await check()('contact', [partial])).toEqual(new Set(['1']));
  });
});
