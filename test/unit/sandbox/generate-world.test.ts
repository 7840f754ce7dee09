import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../../sandbox/world/generate-world.js';

const options = { seed: 7, contacts: 3000, companies: 400, deals: 2500, asOf: '2026-11-01T00:00:00.000Z' };

describe('generateWorld', () => {
  const world = generateWorld(options);

  it('is reproducible from its seed and differs between seeds', () => {
    expect(generateWorld(options)).toEqual(world);
    expect(generateWorld({ ...options, seed: 8 }).contacts[5]).not.toEqual(world.contacts[5]);
  });

  it('has the requested sizes, unique emails, and every link pointing at something', () => {
    expect(world.contacts).toHaveLength(3000);
    expect(world.companies).toHaveLength(400);
    expect(world.deals).toHaveLength(2500);
    expect(new Set(world.contacts.map((c) => c.email)).size).toBe(3000);
    for (const d of world.deals) {
      expect(world.companies[d.companyIndex]).toBeDefined();
      for (const c of d.contactIndexes) expect(world.contacts[c]?.companyIndex).toBe(d.companyIndex);
      for (const li of d.lineItems) expect(world.products[li.productIndex]).toBeDefined();
    }
  });

  it('keeps all history before asOf and orders each deal stage history in time', () => {
    const asOf = Date.parse(options.asOf);
    for (const c of world.contacts) expect(Date.parse(c.createdAt)).toBeLessThan(asOf);
    for (const d of world.deals) {
      const times = d.stageHistory.map((h) => Date.parse(h.at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(Math.max(...times)).toBeLessThan(asOf);
      expect(d.stage === 'won' || d.stage === 'lost').toBe(Date.parse(d.closeDate) < asOf);
    }
  });

  it('plants segments that behave differently', () => {
    const dealsOf = new Map<number, number>();
    for (const d of world.deals) dealsOf.set(d.contactIndexes[0]!, (dealsOf.get(d.contactIndexes[0]!) ?? 0) + 1);
    const mean = (key: string) => {
      const members = world.contacts.filter((c) => c.segment === key && c.duplicateOf === null);
      return members.reduce((a, c) => a + (dealsOf.get(c.index) ?? 0), 0) / members.length;
    };
    expect(mean('champions')).toBeGreaterThan(2 * mean('steady'));
    expect(mean('cold')).toBeLessThan(0.2);
    expect(world.truth.segments.reduce((a, s) => a + s.size, 0)).toBe(3000);
  });

  it('makes deals of skilled owners win more often', () => {
    const closed = world.deals.filter((d) => d.stage === 'won' || d.stage === 'lost');
    const rate = (pred: (skill: number) => boolean) => {
      const set = closed.filter((d) => pred(world.owners[d.ownerIndex]!.skill));
      return set.filter((d) => d.stage === 'won').length / set.length;
    };
    expect(rate((s) => s > 0.5)).toBeGreaterThan(rate((s) => s < -0.5) + 0.15);
    expect(world.truth.winDrivers[0]?.driver).toBe('owner_win_rate');
  });

  it('plants co-purchases, duplicates and missing values', () => {
    const sku = (i: number) => world.products[i]!.sku;
    const withA = world.deals.filter((d) => d.lineItems.some((li) => sku(li.productIndex) === 'ANL-PRO'));
    const both = withA.filter((d) => d.lineItems.some((li) => sku(li.productIndex) === 'DATA-CON'));
    expect(both.length / withA.length).toBeGreaterThan(0.7);
    expect(world.truth.duplicates.length).toBeGreaterThan(10);
    for (const [a, b] of world.truth.duplicates) {
      expect(world.contacts[b]!.lastName).toBe(world.contacts[a]!.lastName);
      expect(world.contacts[b]!.email).not.toBe(world.contacts[a]!.email);
    }
    expect(world.contacts.filter((c) => c.jobTitle === null).length).toBeGreaterThan(300);
    expect(world.deals.some((d) => d.amount === null)).toBe(true);
  });
});
