import { describe, expect, it } from '@jest/globals';
import { OUTPUT_FIELDS } from '../../../src/domain/output-fields.js';
import { featureHash } from '../../../src/engine/scores/feature-hash.js';
import type { FieldValue } from '../../../src/ports/crm-writer.js';
import type { LedgerEntry } from '../../../src/store/repositories/writeback.js';
import type { DesiredRecord, RecordKey } from '../../../src/writeback/desired-values.js';
import { LedgerView } from '../../../src/writeback/ledger-view.js';
import { canonical, DEFAULT_WRITE_RULES, featuresKey, planWrites } from '../../../src/writeback/plan-writes.js';

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
const RISK = 'crm_agent_churn_risk';
const SAME = featureHash([3, 120, 0.5]);
const WRITTEN: Record<string, FieldValue> = { [RISK]: 84, crm_agent_model_version: 'm1' };

/** The plan for contact c1 wanting churn risk `p` computed from features hashed `hash`, the CRM holding `crm`. */
function plan(p: number, hash: string, crm: Record<string, FieldValue> = WRITTEN) {
  const entries: LedgerEntry[] = [
    ...Object.entries(WRITTEN).map(([field, value]) => ({
      objectType: 'contact',
      recordId: 'c1',
      field,
      value: canonical(FIELDS.get(field)!, value),
    })),
    { objectType: 'contact', recordId: 'c1', field: featuresKey(RISK), value: SAME },
  ];
  const desired: DesiredRecord = {
    objectType: 'contact',
    recordId: 'c1',
    values: { [RISK]: p, crm_agent_model_version: 'm2' },
    // A tight error: the hold band alone would write every move here.
    errors: { [RISK]: 0.5 },
    featureHashes: { [RISK]: hash },
  };
  return planWrites({
    runId: 'r2',
    now: Date.parse('2026-11-02T08:00:00.000Z'),
    desired: new Map([['contact:c1' as RecordKey, desired]]),
    actions: [],
    ledger: new LedgerView(entries),
    current: (_t, _id, field) => {
      const v = crm[field.name];
      return v === undefined ? null : canonical(field, v);
    },
    contacts: new Map(),
    deals: new Map(),
    primaryContact: () => null,
    outputs: { fields: true, tasks: false, triggers: false },
    rules: DEFAULT_WRITE_RULES,
    batchSize: { fields: 100, tasks: 100, triggers: 100, triggersInFields: true },
  });
}

describe('featureHash', () => {
  it('is equal for equal features (float noise aside) and differs when one moves', () => {
    expect(featureHash([3, 120, 0.5 + 1e-12])).toBe(SAME);
    expect(featureHash([3, 121, 0.5])).not.toBe(SAME);
    expect(featureHash([3, 120, 0.5])).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('planWrites: a move from retraining alone', () => {
  it('holds a model-only move under retrainHoldPoints, band edges included', () => {
    // 84 → 90 crosses no band; 84 → 76 crosses 75: both moved by the retrain alone, both held.
    for (const p of [90, 76]) {
      const result = plan(p, SAME);
      expect(result.fields).toHaveLength(0);
      expect(result.stats.suppressed.modelOnly).toBe(1);
    }
  });

  it('writes the same move when the features changed, and keeps the new hash for the ledger', () => {
    const changed = featureHash([4, 120, 0.5]);
    const result = plan(90, changed);
    expect(result.stats.suppressed.modelOnly).toBe(0);
    expect(result.fields[0]!.values[RISK]).toBe(90);
    expect(result.fields[0]!.features).toEqual({ [RISK]: changed });
  });

  it('writes a model-only move of retrainHoldPoints or more', () => {
    const result = plan(94, SAME);
    expect(result.stats.suppressed.modelOnly).toBe(0);
    expect(result.fields[0]!.changes).toContainEqual({ field: RISK, from: '84', to: '94' });
  });

  it('never holds a restore: a cleared or edited value is put back with the same features', () => {
    for (const crm of [
      { ...WRITTEN, [RISK]: null },
      { ...WRITTEN, [RISK]: 40 },
    ]) {
      const result = plan(86, SAME, crm);
      expect(result.stats.suppressed.modelOnly).toBe(0);
      expect(result.stats.restored).toBeGreaterThan(0);
      expect(result.fields[0]!.values[RISK]).toBe(86);
    }
  });

  it('holds reasons reworded by a retrain alone, and writes them when the features changed', () => {
    const entries: LedgerEntry[] = [
      { objectType: 'contact', recordId: 'c1', field: 'crm_agent_top_reasons', value: '0 won deals lowers it 2 pts' },
      { objectType: 'contact', recordId: 'c1', field: featuresKey('crm_agent_top_reasons'), value: SAME },
    ];
    const reasons = (hash: string) =>
      planWrites({
        runId: 'r2',
        now: Date.parse('2026-11-02T08:00:00.000Z'),
        desired: new Map([
          [
            'contact:c1' as RecordKey,
            {
              objectType: 'contact',
              recordId: 'c1',
              values: { crm_agent_top_reasons: '0 open deals lowers it 3 pts' },
              featureHashes: { crm_agent_conversion_probability: hash },
            },
          ],
        ]),
        actions: [],
        ledger: new LedgerView(entries),
        current: () => undefined,
        contacts: new Map(),
        deals: new Map(),
        primaryContact: () => null,
        outputs: { fields: true, tasks: false, triggers: false },
        rules: DEFAULT_WRITE_RULES,
        batchSize: { fields: 100, tasks: 100, triggers: 100, triggersInFields: true },
      });
    expect(reasons(SAME).fields).toHaveLength(0);
    expect(reasons(SAME).stats.suppressed.modelOnly).toBe(1);
    const changed = reasons(featureHash([9, 9, 9]));
    expect(changed.fields[0]!.features).toEqual({ crm_agent_top_reasons: featureHash([9, 9, 9]) });
  });
});
