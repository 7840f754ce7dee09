import type { Contact, Deal } from '../domain/records.js';
import type { Recommendation } from '../engine/types.js';
import type { FieldValue, WritableObject } from '../ports/crm-writer.js';
import type { StoredAction, StoredForecast, StoredScore, StoredSegment } from '../store/repositories/results.js';

export interface RunResults {
  scores: StoredScore[];
  actions: StoredAction[];
  segments: StoredSegment[];
  members: Array<{ objectType: string; recordId: string; segmentKey: string }>;
  recommendations: Array<{ objectType: string; recordId: string; items: Recommendation[] }>;
  /** The run's forecast series (history and forecast points), such as `revenue:<pipeline>`. */
  forecasts: StoredForecast[];
}

export type RecordKey = `${WritableObject}:${string}`;

export interface DesiredRecord {
  objectType: WritableObject;
  recordId: string;
  /** Field name (OutputField.name) → value; bookkeeping fields (scored at, action changed at) are added by the plan. */
  values: Record<string, FieldValue>;
  /** A probability field's standard error, in points (its hold band; see heldProbability). */
  errors?: Record<string, number>;
  /** A probability field's feature hash (StoredScore.featureHash), kept in the ledger beside the value written. */
  featureHashes?: Record<string, string>;
}

export interface DesiredOptions {
  /** Reasons name only factors worth at least this many points; the first (largest) factor always. */
  minReasonPoints?: number;
}

const percent = (p: number) => Math.round(p * 100);

/**
 * A score's reasons as written: the factors worth at least `minPoints` points (the first one always, so the field
 * says something), in their order. A factor of a fraction of a point that swaps with another would otherwise
 * change the text with nothing a rep could act on.
 */
export function reasonsText(reasons: StoredScore['reasons'], minPoints = 0): string {
  return text(reasons.filter((r, i) => i === 0 || Math.abs(r.contribution) * 100 >= minPoints).map((r) => r.text));
}
const text = (parts: string[], max = 1000) => {
  const joined = parts.join('; ');
  return joined.length <= max ? joined : `${joined.slice(0, max - 1)}…`;
};

/**
 * What crm-agent wants each record's fields to say after a run: segment, scores with their reasons (the plan adds
 * the score change: the move from the value the CRM holds),
 * next best action with reason and due date, recommended products, model version. Companies carry their contacts'
 * majority segment and their riskiest contact's churn risk.
 */
export function desiredValues(
  results: RunResults,
  contacts: readonly Contact[],
  deals: ReadonlyArray<Pick<Deal, 'id' | 'pipeline' | 'isClosed'>> = [],
  options: DesiredOptions = {},
): Map<RecordKey, DesiredRecord> {
  const out = new Map<RecordKey, DesiredRecord>();
  const recordAt = (objectType: WritableObject, recordId: string) => {
    const key: RecordKey = `${objectType}:${recordId}`;
    let record = out.get(key);
    if (!record) {
      record = { objectType, recordId, values: {} };
      out.set(key, record);
    }
    return record;
  };
  const at = (objectType: WritableObject, recordId: string) => recordAt(objectType, recordId).values;
  const setScore = (objectType: WritableObject, recordId: string, field: string, s: StoredScore) => {
    const record = recordAt(objectType, recordId);
    record.values[field] = percent(s.probability);
    record.values.crm_agent_top_reasons = reasonsText(s.reasons, options.minReasonPoints);
    record.values.crm_agent_model_version = s.modelVersion;
    if (s.standardError !== undefined) record.errors = { ...record.errors, [field]: s.standardError * 100 };
    if (s.featureHash !== undefined) record.featureHashes = { ...record.featureHashes, [field]: s.featureHash };
  };
  for (const m of results.members)
    if (m.objectType === 'contact') at('contact', m.recordId).crm_agent_segment = m.segmentKey;
  for (const s of results.scores) {
    if (s.objectType !== 'deal' && s.objectType !== 'contact') continue;
    const field =
      s.kind === 'win'
        ? 'crm_agent_win_probability'
        : s.kind === 'churn'
          ? 'crm_agent_churn_risk'
          : 'crm_agent_conversion_probability';
    setScore(s.objectType, s.recordId, field, s);
  }
  for (const a of results.actions) {
    if (a.objectType !== 'deal' && a.objectType !== 'contact') continue;
    const values = at(a.objectType, a.recordId);
    values.crm_agent_next_best_action = a.action;
    values.crm_agent_action_reason = a.action === 'none' ? null : text([a.reason]);
    values.crm_agent_action_due = a.action === 'none' || !a.dueDate ? null : a.dueDate.slice(0, 10);
  }
  for (const r of results.recommendations) {
    if (r.objectType !== 'contact' && r.objectType !== 'company') continue;
    at(r.objectType, r.recordId).crm_agent_recommended_products = text(
      r.items.map((i) => `${i.productName} (${i.because})`),
    );
  }
  companyRollUp(results, contacts, at, (id, s) => setScore('company', id, 'crm_agent_churn_risk', s));
  // Forecasts live on the deals: each open deal carries its pipeline's next forecast month (HubSpot reports and
  // Salesforce report summaries group by pipeline; see docs/architecture.md).
  const next = nextForecasts(results.forecasts);
  for (const deal of deals) {
    const f = deal.isClosed || deal.pipeline === null ? undefined : next.get(`revenue:${deal.pipeline}`);
    if (!f) continue;
    const values = at('deal', deal.id);
    values.crm_agent_pipeline_forecast = Math.round(f.value);
    values.crm_agent_pipeline_forecast_low = f.lo80 === null ? null : Math.round(f.lo80);
    values.crm_agent_pipeline_forecast_high = f.hi80 === null ? null : Math.round(f.hi80);
    values.crm_agent_forecast_month = f.period.slice(0, 7);
  }
  return out;
}

function companyRollUp(
  results: RunResults,
  contacts: readonly Contact[],
  at: (t: WritableObject, id: string) => Record<string, FieldValue>,
  setChurn: (company: string, s: StoredScore) => void,
): void {
  const companyOf = new Map(contacts.filter((c) => c.companyId).map((c) => [c.id, c.companyId!]));
  const segmentCounts = new Map<string, Map<string, number>>();
  for (const m of results.members) {
    const company = companyOf.get(m.recordId);
    if (!company) continue;
    const counts = segmentCounts.get(company) ?? new Map<string, number>();
    counts.set(m.segmentKey, (counts.get(m.segmentKey) ?? 0) + 1);
    segmentCounts.set(company, counts);
  }
  for (const [company, counts] of segmentCounts) {
    const [segment] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
    at('company', company).crm_agent_segment = segment;
  }
  const riskiest = new Map<string, StoredScore>();
  for (const s of results.scores) {
    const company = s.kind === 'churn' ? companyOf.get(s.recordId) : undefined;
    if (!company) continue;
    const current = riskiest.get(company);
    if (!current || s.probability > current.probability) riskiest.set(company, s);
  }
  for (const [company, s] of riskiest) setChurn(company, s);
}

/** The first forecast period of each series. */
function nextForecasts(forecasts: RunResults['forecasts']): Map<string, RunResults['forecasts'][number]> {
  const out = new Map<string, RunResults['forecasts'][number]>();
  for (const f of forecasts) {
    if (f.kind !== 'forecast') continue;
    const seen = out.get(f.series);
    if (!seen || f.period < seen.period) out.set(f.series, f);
  }
  return out;
}
