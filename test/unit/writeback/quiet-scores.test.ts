import { describe, expect, it } from '@jest/globals';
import { OUTPUT_FIELDS } from '../../../src/domain/output-fields.js';
import { trainForest } from '../../../src/engine/forest/random-forest.js';
import { matrix } from '../../../src/engine/lib/matrix.js';
import { restoreScorer, scorerToData } from '../../../src/engine/models/stored-models.js';
import { calibratedError } from '../../../src/engine/scores/calibrated-error.js';
import { heldProbability } from '../../../src/engine/scores/held-probability.js';
import { identity, isotonicFromBlocks } from '../../../src/engine/scores/isotonic.js';
import { trainLogistic } from '../../../src/engine/scores/logistic.js';
import type { FieldValue } from '../../../src/ports/crm-writer.js';
import type { StoredScore } from '../../../src/store/repositories/results.js';
import type { LedgerEntry } from '../../../src/store/repositories/writeback.js';
import { type DesiredRecord, desiredValues, type RecordKey } from '../../../src/writeback/desired-values.js';
import { LedgerView } from '../../../src/writeback/ledger-view.js';
import {
  canonical,
  DEFAULT_WRITE_RULES,
  planWrites,
  sameFactors,
  type WriteRules,
} from '../../../src/writeback/plan-writes.js';

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
const RULES = { minProbabilityChange: 3, probabilityBands: [25, 50, 75], scoreHoldWithin: 3 };

function wrote(values: Record<string, FieldValue>): LedgerEntry[] {
  return Object.entries(values).map(([field, value]) => ({
    objectType: 'deal',
    recordId: 'd1',
    field,
    value: canonical(FIELDS.get(field)!, value),
  }));
}

const WRITTEN = {
  crm_agent_win_probability: 60,
  crm_agent_score_change: 5,
  crm_agent_model_version: 'm1',
  crm_agent_scored_at: '2026-10-01T00:00:00.000Z',
  crm_agent_top_reasons: 'at stage “Contract sent” raises it 20 pts',
};

/** The plan for deal d1 wanting `p` (points) with standard error `se` (points), the CRM holding `crm`. */
function plan(
  p: number,
  se: number | undefined,
  crm: Record<string, FieldValue> = WRITTEN,
  rules?: Partial<WriteRules>,
) {
  const ledger = new LedgerView(wrote(WRITTEN));
  const desired: DesiredRecord = {
    objectType: 'deal',
    recordId: 'd1',
    values: {
      crm_agent_win_probability: p,
      crm_agent_model_version: 'm2',
      crm_agent_top_reasons: 'at stage “Contract sent” raises it 23 pts',
    },
    ...(se !== undefined ? { errors: { crm_agent_win_probability: se } } : {}),
  };
  return planWrites({
    runId: 'r2',
    now: Date.parse('2026-11-01T08:00:00.000Z'),
    desired: new Map([['deal:d1' as RecordKey, desired]]),
    actions: [],
    ledger,
    current: (_t, _id, field) => {
      const v = crm[field.name];
      return v === undefined ? null : canonical(field, v);
    },
    contacts: new Map(),
    deals: new Map(),
    primaryContact: () => null,
    outputs: { fields: true, tasks: false, triggers: false },
    rules: { ...DEFAULT_WRITE_RULES, ...rules },
    batchSize: { fields: 100, tasks: 100, triggers: 100, triggersInFields: true },
  });
}

describe('heldProbability: the hold band', () => {
  it('holds a move inside k standard errors, writes one outside, and always writes a band crossing', () => {
    expect(heldProbability(60, 66, 2.5, RULES)).toBe('uncertain'); // 6 ≤ 3 × 2.5
    expect(heldProbability(60, 68, 2.5, RULES)).toBe('write'); // 8 > 7.5
    expect(heldProbability(60, 62, 0.1, RULES)).toBe('small'); // under the points threshold
    expect(heldProbability(48, 52, 10, RULES)).toBe('write'); // crosses 50, however uncertain
    expect(heldProbability(60, 66, undefined, RULES)).toBe('write'); // no error: the points rule alone
    expect(heldProbability(60, 66, 2.5, { ...RULES, scoreHoldWithin: 0 })).toBe('write'); // band off
  });
});

describe('planWrites with the hold band', () => {
  it('keeps a probability whose move is within the band, with its reasons and bookkeeping', () => {
    const p = plan(66, 2.5);
    expect(p.fields).toEqual([]);
    expect(p.stats.suppressed).toMatchObject({
      withinUncertainty: 1,
      smallProbabilityChange: 0,
      reasonsWithoutScoreMove: 1,
      modelVersionOnly: 1,
    });
  });

  it('writes a move outside the band, with its score change and reasons', () => {
    const p = plan(70, 2.5);
    expect(p.fields).toHaveLength(1);
    expect(p.fields[0]!.values).toMatchObject({ crm_agent_win_probability: 70, crm_agent_score_change: 10 });
    expect(p.fields[0]!.values.crm_agent_top_reasons).toContain('23 pts');
    expect(p.stats.suppressed.withinUncertainty).toBe(0);
  });

  it('writes a band crossing however wide the band', () => {
    // 60 → 76 crosses 75: written although 16 points is within 3 × 10.
    const p = plan(76, 10);
    expect(p.stats.suppressed.withinUncertainty).toBe(0);
    expect(p.fields[0]!.changes).toContainEqual({ field: 'crm_agent_win_probability', from: '60', to: '76' });
    expect(p.fields[0]!.values.crm_agent_score_change).toBe(16);
  });

  it('counts suppressed writes by rule: small moves and moves within the band apart', () => {
    expect(plan(61, 2.5).stats.suppressed).toMatchObject({ smallProbabilityChange: 1, withinUncertainty: 0 });
    expect(plan(65, 2.5).stats.suppressed).toMatchObject({ smallProbabilityChange: 0, withinUncertainty: 1 });
    expect(plan(65, 2.5, WRITTEN, { scoreHoldWithin: 0 }).stats.suppressed.withinUncertainty).toBe(0);
  });

  it('never holds a restore: a cleared probability is put back even when the new one is within the band', () => {
    const p = plan(62, 2.5, { ...WRITTEN, crm_agent_win_probability: null });
    expect(p.fields[0]!.changes).toContainEqual({
      field: 'crm_agent_win_probability',
      from: null,
      to: '62',
      restore: true,
    });
    expect(p.stats.restored).toBe(1);
  });

  it('counts a cleared bookkeeping field refilled beside a material change as restored, not updated', () => {
    // scored_at was cleared in the CRM; the probability moved materially, so a new scored_at goes in.
    const p = plan(80, 1, { ...WRITTEN, crm_agent_scored_at: null });
    const scoredAt = p.fields[0]!.changes.find((c) => c.field === 'crm_agent_scored_at');
    expect(scoredAt).toMatchObject({ from: null, restore: true });
    expect(p.stats.restored).toBe(1);
  });
});

describe('sameFactors', () => {
  it('reads reasons that differ only in their points as the same, and a new factor or direction as new', () => {
    const was = 'contact for over 3 years raises it 0.6 pts; 0 won deals lowers it 1 pt';
    expect(sameFactors(was, 'contact for over 3 years raises it 0.3 pts; 0 won deals lowers it 4 pts')).toBe(true);
    expect(sameFactors(was, 'contact for over 3 years lowers it 0.3 pts; 0 won deals lowers it 4 pts')).toBe(false);
    expect(sameFactors(was, 'contact for over 3 years raises it 0.3 pts; 1 won deal lowers it 4 pts')).toBe(false);
  });
});

describe('standard errors from the models', () => {
  const x = matrix(200, ['a', 'b']);
  const y = new Uint8Array(200);
  for (let i = 0; i < 200; i++) {
    x.data[i * 2] = i % 20;
    x.data[i * 2 + 1] = (i * 7) % 13;
    y[i] = (i % 20) + ((i * 7) % 13) / 3 > 12 ? 1 : 0;
    if (i % 17 === 0) y[i] = 1 - y[i]!;
  }

  it('a forest: the spread of its trees, 0 where every tree agrees', () => {
    const forest = trainForest(x, y, { trees: 30, seed: 1, minSamplesLeaf: 5 });
    const se = forest.standardErrors(x);
    expect(se.every((v) => v >= 0 && v < 0.5)).toBe(true);
    expect(Math.max(...se)).toBeGreaterThan(0);
  });

  it('a logistic regression: the delta method, the same after storing and restoring the model', () => {
    const model = trainLogistic(x, y);
    const se = model.standardErrors!(x);
    expect(se.every((v) => v > 0 && v < 0.5)).toBe(true);
    const restored = restoreScorer(
      scorerToData({ classifier: model, calibrator: identity, version: 'logistic-regression@1', caps: [] }),
    );
    expect(Array.from(restored.classifier.standardErrors!(x))).toEqual(Array.from(se));
  });

  it('carried through calibration: unchanged by the identity, 0 where the map is flat', () => {
    expect(calibratedError(identity, 0.5, 0.04)).toBeCloseTo(0.04, 10);
    const flat = isotonicFromBlocks([0.2, 0.8], [0.3, 0.3]);
    expect(calibratedError(flat, 0.5, 0.04)).toBe(0);
    const steep = isotonicFromBlocks([0.4, 0.6], [0, 1]);
    expect(calibratedError(steep, 0.5, 0.04)).toBeCloseTo(0.2, 10);
  });
});

describe('minReasonPoints', () => {
  const score = (contributions: number[]): StoredScore => ({
    objectType: 'deal',
    recordId: 'd1',
    kind: 'win',
    probability: 0.6,
    previousProbability: null,
    modelVersion: 'm1',
    standardError: 0.02,
    reasons: contributions.map((c, i) => ({ feature: `f${i}`, value: 1, contribution: c, text: `factor ${i}` })),
  });
  const results = (s: StoredScore) => ({
    scores: [s],
    actions: [],
    segments: [],
    members: [],
    recommendations: [],
    forecasts: [],
  });

  it('names only factors worth at least that many points (the first always), and carries the error in points', () => {
    const desired = desiredValues(results(score([0.05, 0.004, 0.02])), [], [], { minReasonPoints: 1 });
    const d1 = desired.get('deal:d1')!;
    expect(d1.values.crm_agent_top_reasons).toBe('factor 0; factor 2');
    expect(d1.errors?.crm_agent_win_probability).toBeCloseTo(2, 10);
    const tiny = desiredValues(results(score([0.004, 0.003])), [], [], { minReasonPoints: 1 });
    expect(tiny.get('deal:d1')!.values.crm_agent_top_reasons).toBe('factor 0');
  });
});
