import { Rng } from './rng.js';
import type { SegmentKey } from './world.js';

/**
 * Planted causal effects of crm-agent's actions, drawn from `effectsSeed`: a new seed is a new, unseen world.
 * Each (object type, action, segment) cell has an effect on the record's log-odds of its outcome (a deal winning,
 * a contact buying — for a customer, staying and buying again rather than churning), plus slopes on the deal
 * stage, the amount and the staleness, so effects differ within a segment too. Some cells are planted harmful
 * (a call to a cold lead wastes the lead's patience; a discount to champions who would have closed anyway signals
 * trouble and costs margin). Pure and deterministic.
 */
export type EffectAction =
  | 'call'
  | 'email'
  | 'meeting'
  | 'discount_offer'
  | 'cross_sell'
  | 're_engage'
  | 'hand_to_success';

export const DEAL_ACTIONS: readonly EffectAction[] = ['call', 'email', 'meeting', 'discount_offer'];
export const CUSTOMER_ACTIONS: readonly EffectAction[] = ['cross_sell', 're_engage', 'email', 'call'];
export const LEAD_ACTIONS: readonly EffectAction[] = ['email', 'call'];
export const EFFECT_SEGMENTS: readonly SegmentKey[] = ['champions', 'steady', 'lapsed', 'prospects', 'cold'];

/** A record as the effects see it. */
export interface EffectRecord {
  objectType: 'deal' | 'contact';
  segment: SegmentKey;
  /** Open deal stage 0–4; 0 for contacts. */
  stage: number;
  /** Deal amount, or a contact's purchase value. */
  amount: number;
  /** Days since the last activity. */
  staleDays: number;
  /** A contact who has bought before (cross-sell and re-engage apply only to customers). */
  customer: boolean;
  /** Log-odds of the outcome with no action at all. */
  baseLogit: number;
}

/** One cell: effect on the log-odds = base + stage·(stage − 2) + amount·ln(amount / 4000) + stale·(min(stale, 180)/90 − 1). */
export interface ActionEffect {
  objectType: 'deal' | 'contact';
  action: EffectAction;
  segment: SegmentKey;
  base: number;
  stage: number;
  amount: number;
  stale: number;
  /** Planted on purpose as harmful in this segment (the drawn ones may be harmful too: see `meanEffect`). */
  plantedHarm: boolean;
}

export interface Effects {
  seed: number;
  cells: ActionEffect[];
  /** Share of a deal's amount a discount gives away when the deal wins. */
  discountMargin: number;
}

/** Average effect of each action on the log-odds, before the segment's own draw. */
const MEAN: Record<'deal' | 'contact', Partial<Record<EffectAction, number>>> = {
  deal: { call: 0.25, email: 0.05, meeting: 0.4, discount_offer: 0.3 },
  contact: { email: 0.1, call: 0.2, cross_sell: 0.3, re_engage: 0.35 },
};

export function plantEffects(effectsSeed: number): Effects {
  const rng = new Rng(effectsSeed).fork('effects');
  const cells: ActionEffect[] = [];
  for (const objectType of ['deal', 'contact'] as const) {
    const actions = objectType === 'deal' ? DEAL_ACTIONS : CUSTOMER_ACTIONS;
    for (const action of actions) {
      for (const segment of EFFECT_SEGMENTS) {
        const cell: ActionEffect = {
          objectType,
          action,
          segment,
          base: MEAN[objectType][action]! + rng.normal(0, 0.45),
          stage: objectType === 'deal' ? rng.normal(0, 0.12) : 0,
          amount: rng.normal(0, 0.12),
          stale: (action === 'call' || action === 're_engage' ? 0.15 : 0) + rng.normal(0, 0.12),
          plantedHarm: false,
        };
        cells.push(cell);
      }
    }
  }
  const cell = (o: 'deal' | 'contact', a: EffectAction, s: SegmentKey) =>
    cells.find((c) => c.objectType === o && c.action === a && c.segment === s)!;
  // Planted harm, in every world: a call to a cold lead; a discount to champions (they would close anyway).
  for (const [o, a, s, base] of [
    ['contact', 'call', 'cold', -0.6],
    ['deal', 'call', 'cold', -0.5],
    ['deal', 'discount_offer', 'champions', -0.45],
  ] as const) {
    const c = cell(o, a, s);
    c.base = base + rng.normal(0, 0.1);
    c.plantedHarm = true;
  }
  return { seed: effectsSeed, cells, discountMargin: 0.15 };
}

function cellOf(effects: Effects, objectType: 'deal' | 'contact', action: EffectAction, segment: SegmentKey) {
  return effects.cells.find((c) => c.objectType === objectType && c.action === action && c.segment === segment);
}

/** The actions that apply to a record: all deal actions on a deal; cross-sell and re-engage only for a customer. */
export function applicableActions(record: Pick<EffectRecord, 'objectType' | 'customer'>): readonly EffectAction[] {
  if (record.objectType === 'deal') return DEAL_ACTIONS;
  return record.customer ? CUSTOMER_ACTIONS : LEAD_ACTIONS;
}

/** The action's effect on the record's log-odds (0 for an action that does not apply or has no cell). */
export function effectOf(effects: Effects, record: EffectRecord, action: EffectAction): number {
  if (!applicableActions(record).includes(action)) return 0;
  const c = cellOf(effects, record.objectType, action, record.segment);
  if (!c) return 0;
  return (
    c.base +
    c.stage * (record.stage - 2) +
    c.amount * Math.log(Math.max(record.amount, 1) / 4000) +
    c.stale * (Math.min(record.staleDays, 180) / 90 - 1)
  );
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Probability of the outcome with the action done (null: nothing done). */
export function outcomeProbability(effects: Effects, record: EffectRecord, action: EffectAction | null): number {
  return sigmoid(record.baseLogit + (action === null ? 0 : effectOf(effects, record, action)));
}

/** What the world knows of one record: its outcome and revenue with the action actually done, and with none. */
export interface GroundTruth {
  withAction: boolean;
  withoutAction: boolean;
  revenueWith: number;
  revenueWithout: number;
}

/**
 * Both potential outcomes from one uniform draw `u` (common random numbers): the record succeeds without any
 * action when u < p(none) and with the action when u < p(action). An action not done (the rep skipped it) changes
 * nothing. A won deal with a discount brings its amount less the margin given away.
 */
export function groundTruth(
  effects: Effects,
  record: EffectRecord,
  action: EffectAction | null,
  done: boolean,
  u: number,
): GroundTruth {
  const without = u < outcomeProbability(effects, record, null);
  const acted = done && action !== null;
  const withAction = acted ? u < outcomeProbability(effects, record, action) : without;
  const kept = acted && action === 'discount_offer' ? 1 - effects.discountMargin : 1;
  return {
    withAction,
    withoutAction: without,
    revenueWith: withAction ? record.amount * kept : 0,
    revenueWithout: without ? record.amount : 0,
  };
}

/** Average effect on the probability (not the log-odds) of an action over records: < 0 means harmful there. */
export function meanEffect(effects: Effects, records: readonly EffectRecord[], action: EffectAction): number {
  let sum = 0;
  let n = 0;
  for (const r of records) {
    if (!applicableActions(r).includes(action)) continue;
    sum += outcomeProbability(effects, r, action) - outcomeProbability(effects, r, null);
    n++;
  }
  return n > 0 ? sum / n : 0;
}

/** A rep working crm-agent's tasks: does some of them, up to a daily capacity, likeliest records first. */
export interface Rep {
  ownerIndex: number;
  /** Probability that a task within capacity is actually done (0.55–0.95). */
  compliance: number;
  /** Tasks a day the rep can work. */
  capacityPerDay: number;
  /** How strongly the rep favours likely records over the task order (0 = none, 1 = by likelihood only). */
  favourLikely: number;
}

export function makeReps(effectsSeed: number, owners: number): Rep[] {
  const rng = new Rng(effectsSeed).fork('reps');
  return Array.from({ length: owners }, (_, ownerIndex) => ({
    ownerIndex,
    compliance: rng.uniform(0.55, 0.95),
    capacityPerDay: rng.int(5, 12),
    favourLikely: rng.uniform(0.5, 1),
  }));
}

/**
 * Which of a rep's week of tasks get done: ordered by the rep's own taste (the likelier the record, the earlier,
 * by `favourLikely`), the first `capacityPerDay × 5` are worked, each done with probability `compliance`.
 * Returns a done flag per task, in the tasks' order.
 */
export function workTasks(rep: Rep, likelihoods: readonly number[], rng: Rng): boolean[] {
  const keyed = likelihoods.map((p, i) => ({
    i,
    key: rep.favourLikely * p + (1 - rep.favourLikely) * rng.next(),
  }));
  keyed.sort((a, b) => b.key - a.key);
  const done = likelihoods.map(() => false);
  const capacity = rep.capacityPerDay * 5;
  keyed.forEach(({ i }, rank) => {
    if (rank < capacity && rng.chance(rep.compliance)) done[i] = true;
  });
  return done;
}
