import type { ActionOutcome, ActionsResult, ActionType, PastAction } from '../types.js';

/** How much each outcome counts as success when learning what an action is worth. */
const SUCCESS: Record<ActionOutcome, number> = { won: 1, stage_advanced: 0.7, completed: 0.3, ignored: 0, lost: 0 };

export interface ActionWorth {
  /** Posterior mean success of an action in a segment (Beta(1,1) prior, then the action's overall rate). */
  worth(segmentKey: string | null, action: ActionType): number;
  table: ActionsResult['actionWorth'];
  winRateByAction: ActionsResult['winRateByAction'];
}

/** Summed success and counts of past outcomes per (segment, action) and per action: what the worth is learned from. */
export interface ActionTallies {
  bySegment: Array<{ segmentKey: string | null; action: ActionType; s: number; n: number }>;
  byAction: Array<{ action: ActionType; s: number; n: number; won: number; lost: number }>;
}

/** Learns from past actions' outcomes: success rate per (segment, action), shrunk toward the action's overall rate. */
export function learnActionWorth(past: PastAction[]): ActionWorth {
  return actionWorthOf(tallyOutcomes(past));
}

export function tallyOutcomes(past: PastAction[]): ActionTallies {
  const bySeg = new Map<string, { segmentKey: string | null; action: ActionType; s: number; n: number }>();
  const byAction = new Map<ActionType, { s: number; n: number; won: number; lost: number }>();
  for (const a of past) {
    if (a.outcome === null) continue;
    const v = SUCCESS[a.outcome];
    const key = `${a.segmentKey ?? ''}|${a.action}`;
    const s = bySeg.get(key) ?? { s: 0, n: 0, segmentKey: a.segmentKey, action: a.action };
    s.s += v;
    s.n += 1;
    bySeg.set(key, s);
    const t = byAction.get(a.action) ?? { s: 0, n: 0, won: 0, lost: 0 };
    t.s += v;
    t.n += 1;
    if (a.outcome === 'won') t.won++;
    if (a.outcome === 'lost') t.lost++;
    byAction.set(a.action, t);
  }
  return {
    bySegment: [...bySeg.values()],
    byAction: [...byAction.entries()].map(([action, t]) => ({ action, ...t })),
  };
}

/** The worth of each action from tallies (a stored model keeps the tallies, not the past actions). */
export function actionWorthOf(tallies: ActionTallies): ActionWorth {
  const bySeg = new Map(tallies.bySegment.map((t) => [`${t.segmentKey ?? ''}|${t.action}`, t]));
  const byAction = new Map(tallies.byAction.map((t) => [t.action, t]));
  const overall = (action: ActionType) => {
    const t = byAction.get(action);
    return (1 + (t?.s ?? 0)) / (2 + (t?.n ?? 0));
  };
  const PRIOR = 5;
  const worth = (segmentKey: string | null, action: ActionType) => {
    const s = bySeg.get(`${segmentKey ?? ''}|${action}`);
    const o = overall(action);
    return ((s?.s ?? 0) + PRIOR * o) / ((s?.n ?? 0) + PRIOR);
  };
  return {
    worth,
    table: [...bySeg.values()]
      .map((s) => ({
        segmentKey: s.segmentKey,
        action: s.action,
        worth: worth(s.segmentKey, s.action),
        observations: s.n,
      }))
      .sort((a, b) => (a.segmentKey ?? '').localeCompare(b.segmentKey ?? '') || a.action.localeCompare(b.action)),
    winRateByAction: [...byAction.entries()]
      .map(([action, t]) => ({
        action,
        won: t.won,
        lost: t.lost,
        winRate: t.won + t.lost > 0 ? t.won / (t.won + t.lost) : null,
      }))
      .sort((a, b) => a.action.localeCompare(b.action)),
  };
}
