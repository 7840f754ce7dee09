import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../../sandbox/world/generate-world.js';
import { inHoldout } from '../../../src/engine/lift/holdout.js';
import { previousRunOf } from '../../../src/engine/previous-run.js';
import { runEngine } from '../../../src/engine/run-engine.js';
import { scoreRecords } from '../../../src/engine/score-records.js';
import type { EngineInput } from '../../../src/engine/types.js';
import { neighbourhoodOf } from '../../helpers/neighbourhood.js';
import { worldToRecords } from '../../helpers/world-to-records.js';

const world = generateWorld({ seed: 5, contacts: 1200, companies: 150, deals: 1400, asOf: '2026-11-01T00:00:00.000Z' });
const records = worldToRecords(world);
const now = Date.parse(world.asOf);
const tenantId = 'tenant-h';
const input: EngineInput = { tenantId, ...records };
const share = 0.2;
const settings = { scores: { trees: 10, minPerClass: 50 }, actions: { holdoutShare: share } };
const full = runEngine(input, settings, { seed: 3, now });
const key = (a: { objectType: string; recordId: string }) => `${a.objectType}:${a.recordId}`;

describe('the control group in the engine', () => {
  it('gets no action on a full run: every held-out record is in the holdout, no action is', () => {
    const heldOut = full.actions.heldOut ?? [];
    expect(heldOut.length).toBeGreaterThan(50);
    for (const a of full.actions.actions) expect(inHoldout(tenantId, a.objectType, a.recordId, share)).toBe(false);
    for (const h of heldOut) expect(inHoldout(tenantId, h.objectType, h.recordId, share)).toBe(true);
    const acted = new Set(full.actions.actions.map(key));
    expect(heldOut.some((h) => acted.has(key(h)))).toBe(false);
    // The share of decided records held out, within sampling error.
    const n = heldOut.length + full.actions.actions.length;
    expect(Math.abs(heldOut.length / n - share)).toBeLessThan(4 * Math.sqrt((share * (1 - share)) / n));
    // The run reports the groups' balance and what it could measure (no history yet).
    expect(full.lift?.balance.length).toBeGreaterThan(0);
    expect(full.lift?.status).toBe('not-enough-data');
  });

  it('keeps each record in its group on the next run', () => {
    const next = runEngine({ ...input, previous: previousRunOf(full) }, settings, { seed: 3, now: now + 86_400_000 });
    const before = new Set((full.actions.heldOut ?? []).map(key));
    const after = new Set((next.actions.heldOut ?? []).map(key));
    const decidedBoth = new Set(next.actions.actions.map(key));
    for (const k of before) expect(decidedBoth.has(k)).toBe(false);
    for (const k of after) expect(new Set(full.actions.actions.map(key)).has(k)).toBe(false);
    expect([...after].filter((k) => before.has(k)).length).toBeGreaterThan(0.9 * after.size);
  });

  it('gets no action on the incremental path either (scoreRecords), and is reported as held out', () => {
    const heldDeals = (full.actions.heldOut ?? []).filter((h) => h.objectType === 'deal').map((h) => h.recordId);
    const heldContacts = (full.actions.heldOut ?? []).filter((h) => h.objectType === 'contact').map((h) => h.recordId);
    const actedDeals = full.actions.actions.filter((a) => a.objectType === 'deal').map((a) => a.recordId);
    const targets = {
      deals: [...heldDeals.slice(0, 5), ...actedDeals.slice(0, 5)],
      contacts: heldContacts.slice(0, 5),
    };
    const stored = JSON.parse(JSON.stringify(full.models)) as unknown;
    const out = scoreRecords(stored, { ...neighbourhoodOf(input, targets), previous: previousRunOf(full) }, settings, {
      seed: 3,
      now,
    });
    for (const a of out.actions) expect(inHoldout(tenantId, a.objectType, a.recordId, share)).toBe(false);
    const held = new Set(out.heldOut.map(key));
    for (const id of heldDeals.slice(0, 5)) expect(held.has(`deal:${id}`)).toBe(true);
    expect(out.actions.filter((a) => a.objectType === 'deal').length).toBe(5);
  });

  it('with a share of 0, holds out nothing', () => {
    const none = runEngine(input, { ...settings, actions: { holdoutShare: 0 } }, { seed: 3, now });
    expect(none.actions.heldOut).toEqual([]);
    expect(none.lift?.status).toBe('no-holdout');
  });
});
