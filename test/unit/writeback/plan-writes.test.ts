import { describe, expect, it } from '@jest/globals';
import { OUTPUT_FIELDS } from '../../../src/domain/output-fields.js';
import type { Contact, Deal } from '../../../src/domain/records.js';
import type { FieldValue } from '../../../src/ports/crm-writer.js';
import type { StoredAction } from '../../../src/store/repositories/results.js';
import type { LedgerEntry } from '../../../src/store/repositories/writeback.js';
import type { DesiredRecord, RecordKey } from '../../../src/writeback/desired-values.js';
import { LedgerView } from '../../../src/writeback/ledger-view.js';
import { canonical, type PlanInput, planWrites, type WriteRules } from '../../../src/writeback/plan-writes.js';

const NOW = Date.parse('2026-11-01T08:00:00.000Z');
const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
const BASE = { createdAt: null, updatedAt: null, archived: false, archivedAt: null, mergedInto: null, properties: {} };

function deal(id: string, isClosed = false): Deal {
  return { ...BASE, id, name: `Deal ${id}`, ownerId: 'o1', isClosed, isWon: false } as unknown as Deal;
}
function contact(id: string): Contact {
  return { ...BASE, id, firstName: 'Ada', lastName: id, ownerId: 'o1' } as unknown as Contact;
}

function action(recordId: string, act = 'call', objectType: 'deal' | 'contact' = 'deal'): StoredAction {
  return {
    runId: 'r2',
    objectType,
    recordId,
    actionKey: `k-${objectType}-${recordId}-${act}`,
    action: act,
    priority: 'high',
    dueDate: '2026-11-03',
    reason: 'because',
    value: 1,
    segmentKey: null,
    status: 'planned',
    outcome: null,
    createdAt: '2026-11-01T08:00:00.000Z',
  };
}

/** Ledger entries for what crm-agent wrote to a record. */
function wrote(objectType: string, recordId: string, values: Record<string, FieldValue>): LedgerEntry[] {
  return Object.entries(values).map(([field, value]) => ({
    objectType,
    recordId,
    field,
    value: canonical(FIELDS.get(field)!, value),
  }));
}

function task(taskKey: string, actionKey: string, record: string, status = 'open'): LedgerEntry[] {
  return [
    { objectType: 'task', recordId: taskKey, field: 'crm_id', value: `crm-${taskKey}` },
    { objectType: 'task', recordId: taskKey, field: 'record', value: record },
    { objectType: 'task', recordId: taskKey, field: 'action_key', value: actionKey },
    { objectType: 'task', recordId: taskKey, field: 'status', value: status },
  ];
}

function plan(options: {
  desired?: DesiredRecord[];
  ledger?: LedgerEntry[];
  /** The CRM's values as synced, by `type:id`; a record absent here has its values as the ledger says. */
  crm?: Record<string, Record<string, string | null>>;
  actions?: StoredAction[];
  deals?: Deal[];
  contacts?: Contact[];
  rules?: Partial<WriteRules>;
}) {
  const ledgerEntries = options.ledger ?? [];
  const ledger = new LedgerView(ledgerEntries);
  const input: PlanInput = {
    runId: 'r2',
    now: NOW,
    desired: new Map((options.desired ?? []).map((d) => [`${d.objectType}:${d.recordId}` as RecordKey, d])),
    actions: options.actions ?? [],
    ledger,
    current: (objectType, recordId, field) => {
      const crm = options.crm?.[`${objectType}:${recordId}`];
      if (crm) return field.name in crm ? crm[field.name] : null;
      return ledger.value(objectType, recordId, field.name);
    },
    contacts: new Map((options.contacts ?? []).map((c) => [c.id, c])),
    deals: new Map((options.deals ?? []).map((d) => [d.id, d])),
    primaryContact: () => null,
    outputs: { fields: true, tasks: true, triggers: true },
    rules: {
      minProbabilityChange: 3,
      probabilityBands: [25, 50, 75],
      scoreHoldWithin: 3,
      retrainHoldPoints: 10,
      minReasonPoints: 1,
      keepCrmEdits: [],
      staleTasks: 'remove',
      ...options.rules,
    },
    batchSize: { fields: 100, tasks: 100, triggers: 100, triggersInFields: true },
  };
  return planWrites(input);
}

const WIN = (p: number, extra: Record<string, FieldValue> = {}): DesiredRecord => ({
  objectType: 'deal',
  recordId: 'd1',
  values: { crm_agent_win_probability: p, crm_agent_model_version: 'm2', ...extra },
});
const WROTE_WIN = (p: number) =>
  wrote('deal', 'd1', {
    crm_agent_win_probability: p,
    crm_agent_score_change: 5,
    crm_agent_model_version: 'm1',
    crm_agent_scored_at: '2026-10-01T00:00:00.000Z',
  });

describe('planWrites: reconciling with the CRM', () => {
  const wanted = { crm_agent_segment: 'seg_a', crm_agent_top_reasons: 'reasons' };
  const desired = [{ objectType: 'contact' as const, recordId: 'c1', values: wanted }];
  const ledger = wrote('contact', 'c1', wanted);

  it('restores a value cleared and one overwritten in the CRM, even though the ledger says it was written', () => {
    const p = plan({
      desired,
      ledger,
      crm: { 'contact:c1': { crm_agent_segment: null, crm_agent_top_reasons: 'typed by a rep' } },
    });
    expect(p.fields).toHaveLength(1);
    expect(p.fields[0]!.values).toEqual(wanted);
    expect(p.fields[0]!.changes.every((c) => c.restore)).toBe(true);
    expect(p.stats).toMatchObject({ restored: 2, updated: 0, editedInCrm: 0 });
  });

  it('leaves an edited field alone when the admin keeps CRM edits of it, and reports it as edited in the CRM', () => {
    const p = plan({
      desired,
      ledger,
      crm: { 'contact:c1': { crm_agent_segment: 'seg_b', crm_agent_top_reasons: null } },
      rules: { keepCrmEdits: ['crm_agent_segment'] },
    });
    expect(p.fields.map((f) => f.values)).toEqual([{ crm_agent_top_reasons: 'reasons' }]);
    expect(p.stats).toMatchObject({ restored: 1, editedInCrm: 1 });
  });

  it('a datetime the CRM keeps to the second is not an edit', () => {
    const at = { crm_agent_scored_at: '2026-11-01T08:00:00.430Z' };
    const p = plan({
      desired: [{ objectType: 'contact', recordId: 'c1', values: wanted }],
      ledger: [...ledger, ...wrote('contact', 'c1', at)],
      crm: { 'contact:c1': { ...wanted, crm_agent_scored_at: '2026-11-01T08:00:00.000Z' } },
    });
    expect(p.fields).toEqual([]);
  });

  it('writes nothing when the CRM holds what crm-agent wants', () => {
    expect(plan({ desired, ledger }).fields).toEqual([]);
  });
});

describe('planWrites: materiality', () => {
  it('keeps the reasons beside a probability that is not rewritten, and writes new ones with a material move', () => {
    const reasons = (text: string) => ({ crm_agent_top_reasons: text });
    const ledger = [...WROTE_WIN(40), ...wrote('deal', 'd1', reasons('old words'))];
    // The probability moved 2 points (not rewritten): its reasons stay as written.
    const small = plan({ desired: [WIN(42, reasons('new words'))], ledger });
    expect(small.fields).toEqual([]);
    expect(small.stats.suppressed).toMatchObject({ smallProbabilityChange: 1, reasonsWithoutScoreMove: 1 });
    // It moved 10 points: the probability and its new reasons go together.
    const moved = plan({ desired: [WIN(50, reasons('new words'))], ledger });
    expect(moved.fields[0]!.values).toMatchObject({
      crm_agent_win_probability: 50,
      crm_agent_top_reasons: 'new words',
    });
    // Reasons cleared in the CRM are restored whatever the probability did.
    const cleared = plan({
      desired: [WIN(42, reasons('new words'))],
      ledger,
      crm: { 'deal:d1': { crm_agent_win_probability: '40', crm_agent_top_reasons: null } },
    });
    expect(cleared.fields[0]!.changes).toContainEqual({
      field: 'crm_agent_top_reasons',
      from: null,
      to: 'new words',
      restore: true,
    });
    expect(cleared.fields[0]!.values).not.toHaveProperty('crm_agent_win_probability');
  });

  it("rewrites a deal's pipeline forecast only when it (or an interval end) moves 5 % or the month changes", () => {
    const forecast = (value: number, low: number, high: number, month = '2026-12'): Record<string, FieldValue> => ({
      crm_agent_pipeline_forecast: value,
      crm_agent_pipeline_forecast_low: low,
      crm_agent_pipeline_forecast_high: high,
      crm_agent_forecast_month: month,
    });
    const desired = (values: Record<string, FieldValue>): DesiredRecord => ({
      objectType: 'deal',
      recordId: 'd1',
      values,
    });
    const ledger = wrote('deal', 'd1', forecast(164_852, 92_190, 237_514));
    // Another deal's amount edited: the pipeline's forecast moved 0.3 %. Not a reason to rewrite this deal.
    const small = plan({ desired: [desired(forecast(165_418, 92_670, 238_166))], ledger });
    expect(small.fields).toEqual([]);
    expect(small.stats.suppressed.smallForecastChange).toBe(1);
    // The low end moved 10 %: all three are rewritten together, with scored-at.
    const moved = plan({ desired: [desired(forecast(165_418, 82_971, 238_166))], ledger });
    expect(Object.keys(moved.fields[0]!.values).sort()).toEqual([
      'crm_agent_pipeline_forecast',
      'crm_agent_pipeline_forecast_high',
      'crm_agent_pipeline_forecast_low',
      'crm_agent_scored_at',
    ]);
    // A new month is a change of its own (the small moves still wait).
    const month = plan({ desired: [desired(forecast(165_418, 92_670, 238_166, '2027-01'))], ledger });
    expect(month.fields[0]!.changes.map((c) => c.field)).toEqual(['crm_agent_forecast_month', 'crm_agent_scored_at']);
    // Cleared in the CRM: restored whatever the move.
    const cleared = plan({
      desired: [desired(forecast(165_418, 92_670, 238_166))],
      ledger,
      crm: { 'deal:d1': { ...forecast(164_852, 92_190, 237_514), crm_agent_pipeline_forecast: null } as never },
    });
    expect(cleared.stats.restored).toBe(1);
  });

  it('does not rewrite a probability that moved less than N points within a band, nor the model version alone', () => {
    const p = plan({ desired: [WIN(42)], ledger: WROTE_WIN(40) });
    expect(p.fields).toEqual([]);
    expect(p.stats.suppressed).toEqual({
      smallProbabilityChange: 1,
      withinUncertainty: 0,
      modelOnly: 0,
      modelVersionOnly: 1,
      smallForecastChange: 0,
      reasonsWithoutScoreMove: 0,
    });
  });

  it('rewrites a move of N points, with the change from the value it replaces, scored-at and the model version', () => {
    const p = plan({ desired: [WIN(43)], ledger: WROTE_WIN(40) });
    expect(p.fields[0]!.values).toEqual({
      crm_agent_win_probability: 43,
      crm_agent_score_change: 3,
      crm_agent_scored_at: new Date(NOW).toISOString(),
      crm_agent_model_version: 'm2',
    });
    expect(p.stats).toMatchObject({ updated: 4, restored: 0 });
  });

  it('rewrites a small move that crosses a band edge', () => {
    const p = plan({ desired: [WIN(51)], ledger: WROTE_WIN(49) });
    expect(p.fields[0]!.values).toMatchObject({ crm_agent_win_probability: 51, crm_agent_score_change: 2 });
  });

  it('the threshold is a setting', () => {
    expect(plan({ desired: [WIN(43)], ledger: WROTE_WIN(40), rules: { minProbabilityChange: 5 } }).fields).toEqual([]);
  });

  it('an unchanged run leaves the score change as it is (no reset to 0), and writes no scored-at', () => {
    const p = plan({ desired: [WIN(40)], ledger: WROTE_WIN(40) });
    expect(p.fields).toEqual([]);
  });

  it('a first score gets a change of 0', () => {
    const p = plan({ desired: [WIN(40)] });
    expect(p.fields[0]!.values).toMatchObject({ crm_agent_win_probability: 40, crm_agent_score_change: 0 });
  });

  it('restores a cleared score change to what crm-agent wrote, without touching scored-at', () => {
    const p = plan({
      desired: [WIN(40)],
      ledger: WROTE_WIN(40),
      crm: {
        'deal:d1': {
          crm_agent_win_probability: '40',
          crm_agent_score_change: null,
          crm_agent_model_version: 'm1',
          crm_agent_scored_at: '2026-10-01T00:00:00.000Z',
        },
      },
    });
    expect(p.fields[0]!.values).toEqual({ crm_agent_score_change: '5' });
    expect(p.stats).toMatchObject({ restored: 1, updated: 0 });
  });
});

describe('planWrites: tasks', () => {
  const call = action('d1');

  it('keeps the task of an action that stands, and makes none twice', () => {
    const p = plan({ actions: [call], deals: [deal('d1')], ledger: task('t1', call.actionKey, 'deal:d1') });
    expect([p.tasks, p.closes, p.releases]).toEqual([[], [], []]);
  });

  it("removes the task of a deal that closed and clears the deal's action fields", () => {
    const p = plan({
      actions: [],
      deals: [deal('d1', true)],
      ledger: [
        ...task('t1', call.actionKey, 'deal:d1'),
        ...wrote('deal', 'd1', {
          crm_agent_next_best_action: 'call',
          crm_agent_action_reason: 'because',
          crm_agent_action_due: '2026-11-03',
        }),
      ],
    });
    expect(p.closes).toEqual([{ key: 'close:t1', crmTaskId: 'crm-t1', how: 'remove' }]);
    expect(p.fields.map((f) => [f.recordId, f.values])).toEqual([
      [
        'd1',
        expect.objectContaining({
          crm_agent_next_best_action: null,
          crm_agent_action_reason: null,
          crm_agent_action_due: null,
          crm_agent_action_changed_at: new Date(NOW).toISOString(),
        }),
      ],
    ]);
    expect(p.tasks).toEqual([]);
  });

  it('removes the task of a record that no longer has an action, or defers it per setting', () => {
    const ledger = task('t1', 'k-contact-c1-call', 'contact:c1');
    const args = { actions: [], contacts: [contact('c1')], ledger };
    expect(plan(args).closes).toEqual([{ key: 'close:t1', crmTaskId: 'crm-t1', how: 'remove' }]);
    expect(plan({ ...args, rules: { staleTasks: 'defer' } }).closes).toEqual([
      { key: 'close:t1', crmTaskId: 'crm-t1', how: 'defer' },
    ]);
  });

  it('when the action changes, ends the untouched task and makes one for the new action; a started task is left to the rep', () => {
    const email = action('d1', 'email');
    const p = plan({
      actions: [email, action('d2', 'email')],
      deals: [deal('d1'), deal('d2')],
      ledger: [...task('t1', call.actionKey, 'deal:d1'), ...task('t2', 'k-deal-d2-call', 'deal:d2', 'started')],
    });
    expect(p.closes).toEqual([{ key: 'close:t1', crmTaskId: 'crm-t1', how: 'remove' }]);
    expect(p.releases).toEqual([{ taskKey: 't2' }]);
    expect(p.tasks.map((t) => t.key).sort()).toEqual([`${email.actionKey}-0`, 'k-deal-d2-email-0']);
  });

  it('makes no task for an action on a closed deal', () => {
    expect(plan({ actions: [call], deals: [deal('d1', true)] }).tasks).toEqual([]);
  });

  it('HubSpot triggers cost no call', () => {
    const p = plan({ actions: [call], deals: [deal('d1')] });
    expect(p.triggers).toHaveLength(1);
    expect(p.calls.triggers).toBe(0);
  });
});
