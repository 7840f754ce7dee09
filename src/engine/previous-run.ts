import type { EngineResult, PastAction, PreviousRun } from './types.js';

/**
 * What a run leaves the next one (the store keeps the same and `src/analyse/load-previous-run.ts` reads it
 * back): segment centres and members, scores with their reasons' words, each record's action with its priority,
 * due date and reason, and the past actions to learn from.
 */
export function previousRunOf(result: EngineResult, past: PastAction[] = []): PreviousRun {
  const segments = result.segments.status === 'ok' ? result.segments : null;
  return {
    segments: segments?.segments.map((s) => ({ segmentKey: s.segmentKey, name: s.name, centre: s.centre })) ?? [],
    members: segments?.members.map((m) => ({ recordId: m.recordId, segmentKey: m.segmentKey })) ?? [],
    scores: [...result.scores.win.scores, ...result.scores.contacts.scores].map((s) => ({
      objectType: s.objectType,
      recordId: s.recordId,
      kind: s.kind,
      probability: s.probability,
      reasons: s.reasons.map((r) => ({ feature: r.feature, text: r.text })),
    })),
    actions: past,
    current: result.actions.actions.map((a) => ({
      objectType: a.objectType,
      recordId: a.recordId,
      action: a.action,
      priority: a.priority,
      dueDate: a.dueDate,
      reason: a.reason,
    })),
  };
}
