import { NEXT_BEST_ACTIONS } from '../domain/output-fields.js';
import type { Store } from '../store/open-store.js';

/** What a rep sees about one record: its segment, its score with the reasons and change, and what to do next. */
export interface RecordCard {
  scored: boolean;
  objectType: 'contact' | 'deal' | 'company';
  recordId: string;
  segment: string | null;
  score: { kind: string; label: string; percent: number; change: number | null; reasons: string[] } | null;
  action: { action: string; label: string; priority: string; due: string | null; reason: string } | null;
  recommendations: string[];
  scoredAt: string | null;
}

const SCORE_LABEL: Record<string, string> = {
  win: 'Win probability',
  churn: 'Churn risk',
  conversion: 'Conversion probability',
};
const ACTION_LABEL = new Map<string, string>(NEXT_BEST_ACTIONS.map((a) => [a.value, a.label]));

/** The card of a record from the tenant's latest results; `scored: false` before the first run has scored it. */
export async function recordCard(
  store: Store,
  tenantId: string,
  objectType: RecordCard['objectType'],
  recordId: string,
): Promise<RecordCard> {
  return (await recordCards(store, tenantId, objectType, [recordId]))[0]!;
}

/**
 * The cards of some records of one type, in the order asked: the latest run, its segments and its time read once,
 * and the records' results in four queries however many records (`ResultsRepository.ofRecords`), so a batch of
 * workflow callbacks or webhook events costs a few queries, not nine per record.
 */
export async function recordCards(
  store: Store,
  tenantId: string,
  objectType: RecordCard['objectType'],
  recordIds: readonly string[],
): Promise<RecordCard[]> {
  const empty = (recordId: string): RecordCard => ({
    scored: false,
    objectType,
    recordId,
    segment: null,
    score: null,
    action: null,
    recommendations: [],
    scoredAt: null,
  });
  const runId = await store.results.latestRunId(tenantId);
  if (!runId) return recordIds.map(empty);
  const [results, segments, run] = await Promise.all([
    store.results.ofRecords(tenantId, objectType, recordIds),
    store.results.segments(runId),
    store.runs.get(runId),
  ]);
  const names = new Map(segments.map((s) => [s.segmentKey, s.name]));
  const byId = new Map(results.map((r) => [r.recordId, r]));
  return recordIds.map((recordId) => {
    const found = byId.get(recordId);
    const score = found?.scores[0];
    const action = found?.actions[0];
    // Only contacts carry a segment on their card.
    const segmentKey = objectType === 'contact' ? found?.segmentKey : null;
    if (!score && !action && !segmentKey) return empty(recordId);
    return {
      scored: true,
      objectType,
      recordId,
      segment: segmentKey ? (names.get(segmentKey) ?? segmentKey) : null,
      score: score
        ? {
            kind: score.kind,
            label: SCORE_LABEL[score.kind] ?? score.kind,
            percent: Math.round(score.probability * 100),
            change:
              score.previousProbability === null
                ? null
                : Math.round(score.probability * 100) - Math.round(score.previousProbability * 100),
            reasons: score.reasons.map((r) => r.text),
          }
        : null,
      action:
        action && action.action !== 'none'
          ? {
              action: action.action,
              label: ACTION_LABEL.get(action.action) ?? action.action,
              priority: action.priority,
              due: action.dueDate ? action.dueDate.slice(0, 10) : null,
              reason: action.reason,
            }
          : null,
      recommendations: (found?.recommendations[0]?.items ?? []).map((i) => `${i.productName} (${i.because})`),
      scoredAt: run?.finishedAt ?? run?.startedAt ?? null,
    };
  });
}

/** The workflow action's output fields for a record (HubSpot: enumeration, text, date as epoch ms, number). */
export function workflowOutputs(card: RecordCard): Record<string, string | number> {
  return {
    next_best_action: card.action?.action ?? 'none',
    action_reason: card.action?.reason ?? '',
    priority: card.action?.priority ?? 'low',
    ...(card.action?.due ? { due_date: Date.parse(`${card.action.due}T00:00:00Z`) } : {}),
    score: card.score?.percent ?? 0,
  };
}
