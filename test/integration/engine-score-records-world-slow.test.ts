import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { EngineInputError } from '../../src/engine/engine-error.js';
import { MODELS_SCHEMA_VERSION } from '../../src/engine/models/stored-models.js';
import { previousRunOf } from '../../src/engine/previous-run.js';
import { runEngine } from '../../src/engine/run-engine.js';
import { scoreRecords } from '../../src/engine/score-records.js';
import type { EngineInput, EngineResult } from '../../src/engine/types.js';
import { neighbourhoodOf } from '../helpers/neighbourhood.js';
import { worldToRecords } from '../helpers/world-to-records.js';

const world = generateWorld({
  seed: 11,
  contacts: 1500,
  companies: 200,
  deals: 1800,
  asOf: '2026-11-01T00:00:00.000Z',
});
const records = worldToRecords(world);
const now = Date.parse(world.asOf);
const input: EngineInput = { tenantId: 'tenant-1', ...records };
// Small forests, and a minimum that this world's closed deals and contacts meet, so both models are forests.
const settings = { scores: { trees: 20, minPerClass: 50 } };
const full = runEngine(input, settings, { seed: 3, now });
/** The stored form: what the store keeps is JSON text. */
const stored = JSON.parse(JSON.stringify(full.models)) as unknown;

// Planted duplicates are merged by the clean stage across the whole tenant; leave them out of the targets.
const duplicated = new Set(world.truth.duplicates.flat().map((i) => String(100_001 + i)));
const dealContacts = new Map<string, string[]>();
for (const a of records.associations)
  if (a.fromType === 'deal' && a.toType === 'contact')
    dealContacts.set(a.fromId, [...(dealContacts.get(a.fromId) ?? []), a.toId]);
const clean = (dealId: string) => (dealContacts.get(dealId) ?? []).every((c) => !duplicated.has(c));
const openDeals = full.scores.win.scores.map((s) => s.recordId).filter(clean);
const contacts = full.scores.contacts.scores.map((s) => s.recordId).filter((id) => !duplicated.has(id));
const every = <T>(list: T[], n: number) => list.filter((_, i) => i % Math.max(1, Math.floor(list.length / n)) === 0);
const targets = { deals: every(openDeals, 12), contacts: every(contacts, 12) };

const byKey = (r: Pick<EngineResult, 'scores'>) =>
  new Map([...r.scores.win.scores, ...r.scores.contacts.scores].map((s) => [`${s.objectType}:${s.recordId}`, s]));

describe('scoring a few records with stored models', () => {
  it('gives unchanged records exactly the full run’s probabilities, segments and actions', () => {
    expect(full.scores.win.quality.status).toBe('forest');
    expect(full.scores.contacts.quality.status).toBe('forest');
    expect(targets.deals.length).toBeGreaterThanOrEqual(10);
    expect(targets.contacts.length).toBeGreaterThanOrEqual(10);
    const neighbourhood = {
      ...neighbourhoodOf(input, targets),
      previous: previousRunOf(full),
      recommendations: full.crossSell.recommendations,
    };
    const out = scoreRecords(stored, neighbourhood, settings, { seed: 3, now });
    const expected = byKey(full);
    expect(out.scores).toHaveLength(targets.deals.length + targets.contacts.length);
    for (const s of out.scores) {
      const was = expected.get(`${s.objectType}:${s.recordId}`)!;
      expect([s.recordId, s.kind, s.probability, s.modelVersion]).toEqual([
        was.recordId,
        was.kind,
        was.probability,
        was.modelVersion,
      ]);
      expect(s.reasons.map((r) => r.text)).toEqual(was.reasons.map((r) => r.text));
    }
    if (full.segments.status !== 'ok') throw new Error('segments');
    const members = new Map(full.segments.members.map((m) => [m.recordId, m.segmentKey]));
    expect(out.members.map((m) => [m.recordId, m.segmentKey])).toEqual(
      out.members.map((m) => [m.recordId, members.get(m.recordId)]),
    );
    expect(out.members).toHaveLength(targets.contacts.length);
    const actions = new Map(full.actions.actions.map((a) => [`${a.objectType}:${a.recordId}`, a]));
    for (const a of out.actions) {
      const was = actions.get(`${a.objectType}:${a.recordId}`)!;
      expect({ ...a, value: Math.round(a.value * 1e6) }).toEqual({ ...was, value: Math.round(was.value * 1e6) });
    }
    // Every target deal has its action, or (control group) its would-be action set aside.
    expect(
      out.actions.filter((a) => a.objectType === 'deal').length +
        out.heldOut.filter((a) => a.objectType === 'deal').length,
    ).toBe(targets.deals.length);
    // Only the neighbourhood was read: the targets' deals' contacts and those contacts' deals, not the tenant.
    expect(out.counts.deals).toBeLessThan(records.deals.length / 10);
  });

  it('gives a changed deal the probability a full run with the same models gives it', () => {
    // More activity and a larger amount on every targeted open deal: a full run refits on the same closed deals
    // (open deals do not train the win model), so its forest is the stored one.
    const changed = new Set(targets.deals);
    const edited: EngineInput = {
      ...input,
      deals: input.deals.map((d) =>
        changed.has(d.id) ? { ...d, activityCount: (d.activityCount ?? 0) + 25, amount: (d.amount ?? 1000) * 3 } : d,
      ),
    };
    const rerun = byKey(runEngine(edited, settings, { seed: 3, now }));
    const before = byKey(full);
    const out = scoreRecords(stored, { ...neighbourhoodOf(edited, { deals: targets.deals, contacts: [] }) }, settings, {
      seed: 3,
      now,
    });
    let moved = 0;
    for (const s of out.scores) {
      expect(s.probability).toBe(rerun.get(`deal:${s.recordId}`)!.probability);
      if (s.probability !== before.get(`deal:${s.recordId}`)!.probability) moved++;
    }
    expect(out.scores).toHaveLength(targets.deals.length);
    expect(moved).toBeGreaterThan(0);
  });

  it('refuses stored models of another schema version, saying so', () => {
    const older = { ...(stored as object), schemaVersion: MODELS_SCHEMA_VERSION - 1 };
    const run = () => scoreRecords(older, neighbourhoodOf(input, targets), settings, { seed: 3, now });
    expect(run).toThrow(EngineInputError);
    expect(run).toThrow(
      `stored models have schema version ${MODELS_SCHEMA_VERSION - 1}, this build needs ${MODELS_SCHEMA_VERSION}`,
    );
    expect(() => scoreRecords({ tenantId: 'x' }, neighbourhoodOf(input, targets), settings, { seed: 3, now })).toThrow(
      /not a models document/,
    );
  });

  it('stores plain data that survives JSON unchanged', () => {
    expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
    expect((stored as { schemaVersion: number }).schemaVersion).toBe(MODELS_SCHEMA_VERSION);
  });
});
