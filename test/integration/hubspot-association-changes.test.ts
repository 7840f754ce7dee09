import { afterEach, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { Rng } from '../../sandbox/world/rng.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { compareWithPortal, connectHarness, type Harness, nonZero, startSandbox } from '../helpers/hubspot.js';
import { UiUser } from '../helpers/hubspot-editor.js';

/**
 * Link moves HubSpot makes without moving the linked record's modified date: a deal moved to another company,
 * a non-primary company added to or removed from a contact, a primary company swapped. Only the company's side
 * changes (its association counts), so an incremental sync must read the links from that side too.
 */
class LinkMover {
  private readonly rng: Rng;
  done = 0;

  constructor(
    private readonly sb: HubSpotSandbox,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  private live(type: 'contacts' | 'companies' | 'deals'): number {
    const ids = this.sb.state.objects[type].ids;
    for (let tries = 0; tries < 1000; tries++) {
      const id = ids[this.rng.int(0, ids.length - 1)]!;
      if (this.sb.state.get(type, id, { followMerges: false })) return id;
    }
    throw new Error(`no live ${type}`);
  }

  act(): void {
    const c = this.sb.control;
    const state = this.sb.state;
    const k = this.rng.next();
    if (k < 0.35) {
      // Move a deal to another company (as its primary).
      const deal = this.live('deals');
      for (const link of state.associations.list('deals', deal, 'companies'))
        c.unassociate('deals', deal, 'companies', link.toId);
      c.associate('deals', deal, 'companies', this.live('companies'), [5, 341]);
    } else if (k < 0.6) {
      c.associate('contacts', this.live('contacts'), 'companies', this.live('companies'), [279]);
    } else if (k < 0.8) {
      const contact = this.live('contacts');
      const extra = state.associations.list('contacts', contact, 'companies').find((l) => !l.typeIds.includes(1));
      if (extra) c.unassociate('contacts', contact, 'companies', extra.toId);
      else c.associate('contacts', contact, 'companies', this.live('companies'), [279]);
    } else {
      c.associate('deals', this.live('deals'), 'companies', this.live('companies'), [341]);
    }
    this.done++;
  }
}

/** Links whose primary label differs between the portal and the local copy (contact→company, deal→company). */
async function mislabelled(sb: HubSpotSandbox, harness: Harness): Promise<string[]> {
  const portal = sb.control.export();
  const out: string[] = [];
  for (const [key, from, primaryType] of [
    ['contacts:companies', 'contact', 1],
    ['deals:companies', 'deal', 5],
  ] as const) {
    const primary = new Map(
      (portal.associations[key] ?? []).map(([f, t, types]) => [`${f}>${t}`, types.includes(primaryType)]),
    );
    const local = new Map<string, boolean>();
    for (const link of await harness.runtime.store.records.listAssociations(harness.tenant.id, from, 'company')) {
      const key = `${link.fromId}>${link.toId}`;
      local.set(key, (local.get(key) ?? false) || link.label === 'Primary');
    }
    for (const [key, isPrimary] of local) {
      const want = primary.get(key);
      if (want !== undefined && want !== isPrimary) out.push(`${from} ${key}`);
    }
  }
  return out;
}

describe('HubSpot association changes that move no modified date', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('changes during a full sync (edits, deletes, merges, creations, link moves), then one incremental sync: 0 missing, extra or stale links', async () => {
    const clock = new FixedClock();
    const { sb, url } = await startSandbox({
      seed: 61,
      contacts: 2000,
      companies: 200,
      deals: 400,
      clock,
      limits: 'real',
    });
    cleanups.push(() => sb.close());
    const harness = await connectHarness(sb, url, { clock });
    cleanups.push(() => harness.close());
    const user = new UiUser(sb, 5);
    const mover = new LinkMover(sb, 6);
    const summary = await harness.sync('full', {
      onPage: ({ stream }) => {
        if (stream !== 'crm-objects') return;
        for (let k = 0; k < 3; k++) user.act();
        for (let k = 0; k < 6; k++) mover.act();
      },
    });
    expect(summary.status).toBe('succeeded');
    for (let k = 0; k < 300; k++) mover.act();
    for (let k = 0; k < 100; k++) user.act();
    expect(mover.done).toBeGreaterThan(400);
    sb.control.catchUpSearchIndex();
    clock.advance(60_000);
    const incremental = await harness.sync('incremental');
    expect(incremental.status).toBe('succeeded');
    const diffs = nonZero(await compareWithPortal(sb, harness));
    expect(diffs).toEqual({});
    expect(await mislabelled(sb, harness)).toEqual([]);
  }, 180_000);
});
