import type { ActionOutcome, ActionType, NextBestAction, PreviousRun, ScoreKind } from '../engine/types.js';
import type { Store } from '../store/open-store.js';

const OBJECTS = new Set(['deal', 'contact']);

/**
 * What the last run left, read from the store for the engine: segment centres and each contact's segment,
 * scores with their reasons' words, each record's action (with priority, due date and reason, so an unchanged
 * record keeps them), and the past actions with their outcomes to learn from, and the control group's would-be actions (for the lift). Only real runs leave anything: a dry
 * run stores no results (`runAnalysis`), and `latestRunId` skips dry runs. `outcomes` (by action key) are outcomes
 * a dry run told but did not store: they are read as if stored, so the dry run learns what the real run will.
 */
export async function loadPreviousRun(
  store: Store,
  tenantId: string,
  outcomes: ReadonlyMap<string, ActionOutcome> = new Map(),
): Promise<PreviousRun> {
  const runId = await store.results.latestRunId(tenantId);
  const actions = (await store.results.pastActions(tenantId)).map(({ actionKey, ...past }) => ({
    ...past,
    outcome: past.outcome ?? outcomes.get(actionKey) ?? null,
  }));
  const holdout = await store.results.holdoutHistory(tenantId);
  if (!runId) return { actions, holdout };
  const [segments, members, scores, current] = await Promise.all([
    store.results.segments(runId),
    store.results.segmentMembers(runId),
    store.results.scores(runId),
    store.results.actions(runId),
  ]);
  return {
    segments: segments.map((s) => ({ segmentKey: s.segmentKey, name: s.name, centre: s.centre })),
    members: members
      .filter((m) => m.objectType === 'contact')
      .map((m) => ({ recordId: m.recordId, segmentKey: m.segmentKey })),
    scores: scores
      .filter((s) => OBJECTS.has(s.objectType))
      .map((s) => ({
        objectType: s.objectType as 'deal' | 'contact',
        recordId: s.recordId,
        kind: s.kind as ScoreKind,
        probability: s.probability,
        reasons: s.reasons.map((r) => ({ feature: r.feature, text: r.text })),
      })),
    actions,
    holdout,
    current: current
      .filter((a) => OBJECTS.has(a.objectType))
      .map((a) => ({
        objectType: a.objectType as 'deal' | 'contact',
        recordId: a.recordId,
        action: a.action as ActionType,
        priority: a.priority as NextBestAction['priority'],
        dueDate: a.dueDate,
        reason: a.reason,
      })),
  };
}
