import { sqrt } from '../lib/math.js';
import type { ActionType } from '../types.js';

/** Two-sided 95 %. */
const Z95 = 1.959964;

/** `rules`: today's rules only; `learned`: the uplift policy, falling back to the rules where history is short. */
export type PolicyKind = 'rules' | 'learned';

/**
 * One record's exposure with its outcome, as the policy learns from it: treated (the action was planned for it)
 * or holdout (the same action would have been, but the record is in the control group). `predicted` is the
 * record's score (probability of the outcome) when the action was decided, so records picked for an action
 * because they were likely anyway do not make the action look good; null when unknown (then 0: the raw rates).
 */
export interface PolicyObservation {
  objectType: 'deal' | 'contact';
  action: ActionType;
  segmentKey: string | null;
  group: 'treated' | 'holdout';
  success: boolean;
  predicted: number | null;
}

export interface PolicySettings {
  /** Fewest treated records in a cell (and holdout records in its segment) before its estimate is used. */
  minRecords: number;
  /** Share of rule-following decisions that try an action with too little history instead (bounded exploration). */
  exploration: number;
}

export const DEFAULT_POLICY_SETTINGS: PolicySettings = { minRecords: 15, exploration: 0.25 };

/** The incremental effect of an action on the outcome's probability in a segment, with its 95 % interval. */
export interface UpliftEstimate {
  objectType: 'deal' | 'contact';
  action: ActionType;
  segmentKey: string | null;
  uplift: number;
  sd: number;
  /** The parts of `sd` from the treated cell and from the segment's control group. */
  treatedSd: number;
  holdoutSd: number;
  low: number;
  high: number;
  treated: number;
  holdout: number;
  enough: boolean;
}

interface Sums {
  n: number;
  r: number;
  r2: number;
}

export interface Candidate {
  action: ActionType;
  /** What a success is worth (amount, purchase value); the policy maximises uplift × value. */
  value: number;
}

export interface PolicyChoice {
  action: ActionType;
  /** learned: chosen by its estimated uplift; explore: trying an action with too little history; rules: fallback. */
  source: 'learned' | 'explore' | 'rules';
  /** One plain sentence for the rep or the admin. */
  reason: string;
  estimate: UpliftEstimate | null;
}

/**
 * A learning next-best-action policy. From treated vs holdout outcomes it estimates, per object type, action and
 * segment, the action's uplift: the treated records' mean residual (outcome − score) minus the residual of the
 * segment's holdout records (all of whose would-be actions are pooled, so the control group is large enough early;
 * the score adjustment removes the bias of actions given to likelier records). Each decision draws every candidate's
 * uplift from its approximate posterior (normal, Thompson sampling; the shared control group drawn once), so uncertain actions are tried in proportion
 * to the chance they are best, and picks the largest uplift × value; no action when none is drawn above 0.
 * An action whose 95 % upper bound is below 0 is never recommended. Where no candidate has enough history the
 * rules' choice stands (the reason says so), except for an `exploration` share that tries a candidate lacking
 * history. Pure: randomness comes in through `uniform` and `normal`.
 */
export class LearningPolicy {
  private readonly cells = new Map<string, Sums>();
  private readonly control = new Map<string, Sums>();

  constructor(
    observations: Iterable<PolicyObservation>,
    readonly settings: PolicySettings = DEFAULT_POLICY_SETTINGS,
  ) {
    for (const o of observations) this.add(o);
  }

  /**
   * A policy from counts without scores (the product's lift cells): per (object type, action, segment) the treated
   * records and successes, per (object type, segment) the holdout's. Residuals are then the raw outcomes.
   */
  static fromCounts(
    treated: ReadonlyArray<{
      objectType: 'deal' | 'contact';
      action: ActionType;
      segmentKey: string | null;
      records: number;
      successes: number;
    }>,
    holdout: ReadonlyArray<{
      objectType: 'deal' | 'contact';
      segmentKey: string | null;
      records: number;
      successes: number;
    }>,
    settings: PolicySettings = DEFAULT_POLICY_SETTINGS,
  ): LearningPolicy {
    const policy = new LearningPolicy([], settings);
    for (const t of treated)
      policy.cells.set(cellKey(t.objectType, t.action, t.segmentKey), {
        n: t.records,
        r: t.successes,
        r2: t.successes,
      });
    for (const h of holdout)
      policy.control.set(segKey(h.objectType, h.segmentKey), { n: h.records, r: h.successes, r2: h.successes });
    return policy;
  }

  /** Outcomes learned from (treated and holdout). */
  get observations(): number {
    let n = 0;
    for (const m of [this.cells, this.control]) for (const s of m.values()) n += s.n;
    return n;
  }

  add(o: PolicyObservation): void {
    const residual = (o.success ? 1 : 0) - (o.predicted ?? 0);
    const key =
      o.group === 'treated' ? cellKey(o.objectType, o.action, o.segmentKey) : segKey(o.objectType, o.segmentKey);
    const map = o.group === 'treated' ? this.cells : this.control;
    const s = map.get(key) ?? { n: 0, r: 0, r2: 0 };
    s.n++;
    s.r += residual;
    s.r2 += residual * residual;
    map.set(key, s);
  }

  estimate(objectType: 'deal' | 'contact', action: ActionType, segmentKey: string | null): UpliftEstimate {
    const t = this.cells.get(cellKey(objectType, action, segmentKey)) ?? { n: 0, r: 0, r2: 0 };
    const h = this.control.get(segKey(objectType, segmentKey)) ?? { n: 0, r: 0, r2: 0 };
    // A pseudo-observation of residual 0 (no effect) with a wide spread on each side keeps a thin cell near 0.
    const [mt, vt] = meanVar(t);
    const [mh, vh] = meanVar(h);
    const uplift = mt - mh;
    const sd = sqrt(vt + vh);
    return {
      treatedSd: sqrt(vt),
      holdoutSd: sqrt(vh),
      objectType,
      action,
      segmentKey,
      uplift,
      sd,
      low: uplift - Z95 * sd,
      high: uplift + Z95 * sd,
      treated: t.n,
      holdout: h.n,
      enough: t.n >= this.settings.minRecords && h.n >= this.settings.minRecords,
    };
  }

  /** Whether the action is clearly harmful in the segment (enough history, 95 % upper bound below 0). */
  blocked(objectType: 'deal' | 'contact', action: ActionType, segmentKey: string | null): boolean {
    const e = this.estimate(objectType, action, segmentKey);
    return e.enough && e.high < 0;
  }

  /**
   * The action for one record: `rules` is what today's rules would do (null: nothing). `uniform` draws in [0, 1),
   * `normal` standard normal draws.
   */
  choose(
    objectType: 'deal' | 'contact',
    segmentKey: string | null,
    candidates: readonly Candidate[],
    rules: ActionType | null,
    uniform: () => number,
    normal: () => number,
  ): PolicyChoice {
    const estimates = candidates.map((c) => ({ c, e: this.estimate(objectType, c.action, segmentKey) }));
    const open = estimates.filter(({ e }) => !(e.enough && e.high < 0));
    if (!estimates.some(({ e }) => e.enough)) {
      const thin = open.filter(({ e }) => !e.enough);
      if (thin.length > 0 && uniform() < this.settings.exploration) {
        const pick = thin[Math.floor(uniform() * thin.length)]!;
        return {
          action: pick.c.action,
          source: 'explore',
          reason: `Trying ${words(pick.c.action)}: there is too little history yet (${pick.e.treated} done, ${pick.e.holdout} held out) to know what works for records like this.`,
          estimate: pick.e,
        };
      }
      const ruled = rules === null ? undefined : open.find(({ c }) => c.action === rules);
      const counts = estimates.reduce((a, { e }) => a + e.treated, 0);
      return {
        action: ruled ? ruled.c.action : 'none',
        source: 'rules',
        reason: `Following the rules: too little history yet (${counts} outcomes of these actions here) to learn which action pays off.`,
        estimate: ruled?.e ?? null,
      };
    }
    let best: (typeof open)[number] | undefined;
    let bestScore = 0;
    // The segment's control group is one unknown shared by every candidate: one draw for all, so the choice between
    // actions rests on the treated records (many), and only "act or not" on the control group (few).
    const control = normal();
    for (const entry of open) {
      const { treatedSd, holdoutSd } = entry.e;
      const score = (entry.e.uplift + treatedSd * normal() - holdoutSd * control) * entry.c.value;
      if (score > bestScore) {
        bestScore = score;
        best = entry;
      }
    }
    if (!best)
      return {
        action: 'none',
        source: 'learned',
        reason: 'No action: none of the possible actions has been shown to help records like this one.',
        estimate: null,
      };
    const e = best.e;
    const pts = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(0)}`;
    return {
      action: best.c.action,
      source: e.enough ? 'learned' : 'explore',
      reason: e.enough
        ? `${capital(words(best.c.action))}: it has raised the chance of success by ${pts(e.uplift)} pts for similar records (${e.treated} done, ${e.holdout} held out).`
        : `Trying ${words(best.c.action)}: there is too little history yet (${e.treated} done) to know whether it helps records like this.`,
      estimate: e,
    };
  }

  /** Every cell's estimate, for reports. */
  estimates(): UpliftEstimate[] {
    return [...this.cells.keys()].map((k) => {
      const [objectType, action, segment] = k.split('\u0000') as ['deal' | 'contact', ActionType, string];
      return this.estimate(objectType, action, segment === '' ? null : segment);
    });
  }
}

const cellKey = (o: string, a: ActionType, s: string | null) => `${o}\u0000${a}\u0000${s ?? ''}`;
const segKey = (o: string, s: string | null) => `${o}\u0000${s ?? ''}`;

/** Mean residual and the variance of that mean, with one pseudo-observation of 0 ± 0.5 (a weak prior of no effect). */
function meanVar(s: Sums): [number, number] {
  const n = s.n + 1;
  const mean = s.r / n;
  const variance = Math.max((s.r2 + 0.25 - n * mean * mean) / Math.max(n - 1, 1), 0.01);
  return [mean, variance / n];
}

const WORDS: Record<ActionType, string> = {
  call: 'a call',
  email: 'an email',
  meeting: 'a meeting',
  discount_offer: 'an offer',
  cross_sell: 'a cross-sell offer',
  re_engage: 'a re-engagement',
  hand_to_success: 'a hand-over to customer success',
  none: 'no action',
};

const words = (action: ActionType): string => WORDS[action];

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
