import { createHash } from 'node:crypto';
import type { CleanData } from '../clean/clean-records.js';
import { type CONTACT_FEATURES, DAY } from '../features/contact-features.js';
import type { DealFeatureSet } from '../features/deal-features.js';
import { money, span } from '../features/feature-text.js';
import { INF, isFiniteNumber, round } from '../lib/math.js';
import type { Matrix } from '../lib/matrix.js';
import { hashSeed, Random } from '../lib/random.js';
import { inHoldout } from '../lift/holdout.js';
import type {
  ActionsResult,
  ActionType,
  CrossSellResult,
  EngineSettings,
  NextBestAction,
  PastAction,
  PreviousAction,
  RecordScore,
  SeriesResult,
} from '../types.js';
import { type ActionWorth, learnActionWorth } from './action-worth.js';
import type { LearningPolicy } from './learning-policy.js';
import { NO_SEGMENT, relativeRiskText, usualChurnRisk } from './relative-risk.js';

export interface DecideInput {
  tenantId: string;
  data: CleanData;
  deals: DealFeatureSet;
  openDealProbability: Float64Array;
  winScores: RecordScore[];
  contactsNow: Matrix;
  contactScores: RecordScore[];
  segmentKeyOfContact: (index: number) => string | null;
  segmentNameOfContact: (index: number) => string | null;
  crossSell: CrossSellResult;
  forecasts: SeriesResult[];
  past: PastAction[];
  /** The last run's action per record (kept, with its due date and reason, unless another is clearly better). */
  current?: PreviousAction[];
  settings: EngineSettings['actions'];
  now: number;
  /** What actions are worth, when already learned (a stored model's); else learned from `past`. */
  learned?: ActionWorth;
  /** The learning policy with its history (only when the tenant's policy is `learned` and there is history). */
  policy?: LearningPolicy;
  /** The revenue gap, when known (a stored model's); else from `forecasts`. */
  revenueGap?: number | null;
  /** Mean churn risk of the customers per segment key (a stored model's); else from `contactScores`. */
  usualChurnRisk?: Record<string, number>;
}

/** Deterministic key of (tenant, record, action): a re-run plans the same key, so the write is not repeated. */
export function actionKey(tenantId: string, objectType: string, recordId: string, action: ActionType): string {
  return createHash('sha256')
    .update(`${tenantId}\u0000${objectType}\u0000${recordId}\u0000${action}`)
    .digest('hex')
    .slice(0, 32);
}

const pct = (p: number) => `${round(p * 100)} %`;
const WEEK = 7 * DAY;
/** Added to a rule's reason when the learning policy falls back to the rules. */
const RULES_NOTE = '; too little history yet to learn which action pays off here, so this follows the rules';

/**
 * One next-best-action per open deal and per contact worth acting on. Candidate actions come from the scores,
 * their change since the last run, staleness, segment, the revenue forecast's gap and the recommendations;
 * each is weighted by what that action has been worth in the record's segment (learned from past outcomes),
 * and the best is kept with a one-sentence reason.
 */
export function decideActions(input: DecideInput): ActionsResult {
  const { data, deals, settings, now } = input;
  const learned = input.learned ?? learnActionWorth(input.past);
  const actions: NextBestAction[] = [];
  const gap = input.revenueGap !== undefined ? input.revenueGap : revenueGap(input.forecasts);
  const gapText =
    gap !== null && gap < -0.05
      ? `; revenue for the next 3 months is forecast ${pct(-gap)} below the same months last year`
      : '';
  const previousOf = new Map((input.current ?? []).map((a) => [`${a.objectType}:${a.recordId}`, a]));
  const margin = settings.switchMargin;

  // Deals.
  const nClosed = deals.closed.length;
  const stageCol = deals.x.names.indexOf('stage_index');
  const scoreById = new Map(input.winScores.map((s) => [s.recordId, s]));
  deals.open.forEach((k, r) => {
    const d = data.deals[k]!;
    const p = input.openDealProbability[r]!;
    const score = scoreById.get(d.record.id);
    const row = nClosed + r;
    const stale = deals.daysSinceActivity[row]!;
    const stage = deals.x.data[row * deals.x.cols + stageCol]!;
    const primary = d.contactIds[0];
    const ci = primary === undefined ? undefined : data.contactIndex.get(primary);
    const segmentKey = ci === undefined ? null : input.segmentKeyOfContact(ci);
    const amount = d.amount ?? 0;
    const change = score?.previousProbability != null ? p - score.previousProbability : null;
    const overdue = d.closeAt !== null && d.closeAt < now;
    const before = previousOf.get(`deal:${d.record.id}`);
    const beforeBasis = before ? basisOf('deal', before.action, before.reason) : null;
    // The action a record already has stays applicable within a band around the condition that made it (a
    // probability or a staleness hovering at a boundary must not turn it off and on again run after run).
    const keeping = (basis: DealBasis) => beforeBasis === basis;
    const candidates: DealCandidate[] = [];
    const pText = isFiniteNumber(p) ? `${pct(p)} win probability` : 'no win probability yet';
    // Falling probability: a meeting, kept until the probability has recovered (the drop is measured against
    // the last run, so it would vanish on the next run by itself).
    if ((change !== null && change <= -0.1) || (keeping('fell') && !(change !== null && change >= 0.1))) {
      candidates.push([
        'fell',
        'meeting',
        1.2,
        `Win probability fell ${round(-(change ?? 0) * 100)} pts since the last run (now ${pct(p)}): meet to find out what changed`,
      ]);
    }
    const staleFrom = keeping('stale') ? settings.staleDays / 2 : settings.staleDays;
    if (isFiniteNumber(stale) && stale >= staleFrom && !(p < (keeping('stale') ? 0.03 : 0.05))) {
      candidates.push([
        'stale',
        'call',
        1.1,
        `No activity for ${span(stale)} on a ${money(amount, data.currency)} deal with ${pText}`,
      ]);
    }
    if (overdue)
      candidates.push([
        'overdue',
        'email',
        0.9,
        `Expected close date passed ${span((now - d.closeAt!) / DAY)} ago (${pText}): confirm the timeline`,
      ]);
    const [fenceLo, fenceHi] = keeping('fence') ? [0.25, 0.75] : [0.3, 0.7];
    if (isFiniteNumber(stage) && stage >= 3 && p >= fenceLo && p <= fenceHi) {
      candidates.push([
        'fence',
        'discount_offer',
        1,
        `Late-stage deal (${money(amount, data.currency)}) on the fence at ${pct(p)}: an offer could close it`,
      ]);
    }
    const [hopelessP, hopelessStale] = keeping('hopeless') ? [0.08, 3] : [0.05, 4];
    if (p < hopelessP && isFiniteNumber(stale) && stale >= hopelessStale * settings.staleDays) {
      candidates.push([
        'hopeless',
        'none',
        0.1,
        `Unlikely to win (${pct(p)}) and quiet for ${span(stale)}: no action; consider closing it`,
      ]);
    }
    // Momentum is what a deal gets when nothing else applies; kept against weaker news, not against 'none'.
    if (
      candidates.length === 0 ||
      (keeping('momentum') && !candidates.some((c) => c[1] === 'email' || c[1] === 'none'))
    )
      candidates.push(['momentum', 'email', 0.8, momentumText(money(amount, data.currency), p, pText)]);
    const worthOf = (c: DealCandidate) =>
      c[1] === 'none' ? 0 : amount * (isFiniteNumber(p) ? p : 0.5) * c[2] * learned.worth(segmentKey, c[1]);
    let best: DealCandidate | undefined;
    let bestValue = -INF;
    for (const c of candidates) {
      const v = worthOf(c);
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    // The current action stays unless another is worth more by the margin. Between two applicable actions of
    // one deal, amount × probability cancels out of the ratio of their worths, so noise in the probability cannot
    // flip them; what is left (learned action worth) moves slowly, and the margin on both sides (A must beat B
    // by 10 % to replace it, and B must beat A by 10 % to come back) needs a swing of over 20 % for A → B → A.
    const kept = candidates.find((c) => c[0] === beforeBasis);
    if (kept && kept !== best && !(bestValue > (1 + margin) * worthOf(kept))) {
      best = kept;
      bestValue = worthOf(kept);
    }
    const chosen = best!;
    let action = chosen[1];
    let reason = kept === chosen && before ? before.reason : `${chosen[3]}${chosen[1] === 'none' ? '' : gapText}.`;
    let value = bestValue;
    const policy = input.policy;
    // The learning policy picks among the deal's applicable actions; an action the deal already has stays while
    // it is not clearly harmful (a re-run does not re-draw it).
    if (policy && !(kept === chosen && before && !policy.blocked('deal', before.action, segmentKey))) {
      const options = candidates.filter((c) => c[1] !== 'none');
      const draws = new Random(hashSeed(hashSeed(0, input.tenantId), `${d.record.id}|${Math.floor(now / WEEK)}`));
      const pick = policy.choose(
        'deal',
        segmentKey,
        options.map((c) => ({ action: c[1], value: amount * (isFiniteNumber(p) ? p : 0.5) })),
        chosen[1] === 'none' ? null : chosen[1],
        () => draws.next(),
        () => draws.normal(),
      );
      if (pick.source === 'rules') {
        if (chosen[1] !== 'none' && kept !== chosen) reason = `${reason.slice(0, -1)}${RULES_NOTE}.`;
      } else if (pick.action !== chosen[1]) {
        const c = options.find((o) => o[1] === pick.action);
        action = pick.action;
        reason = pick.reason;
        value = c ? worthOf(c) : 0;
      }
    }
    actions.push({
      objectType: 'deal',
      recordId: d.record.id,
      actionKey: actionKey(input.tenantId, 'deal', d.record.id, action),
      action,
      priority: 'low',
      dueDate: '',
      reason,
      value,
      segmentKey,
    });
  });

  // Contacts worth acting on.
  const recsOf = new Map(
    input.crossSell.recommendations.filter((r) => r.objectType === 'contact').map((r) => [r.recordId, r.items]),
  );
  const cx = input.contactsNow;
  const col = (name: (typeof CONTACT_FEATURES)[number]) => cx.names.indexOf(name);
  const [wonCol, revCol, openCol, lastCol] = [
    col('won_deals'),
    col('won_revenue'),
    col('open_deals'),
    col('days_since_purchase'),
  ];
  const usualRisk = input.usualChurnRisk ?? usualChurnRisk(input.contactScores, input.segmentKeyOfContact);
  const contactCandidates: NextBestAction[] = [];
  const wasKept = new Set<NextBestAction>();
  input.contactScores.forEach((s, i) => {
    const c = data.contacts[i]!;
    const o = i * cx.cols;
    const customer = cx.data[o + wonCol]! > 0;
    const revenue = cx.data[o + revCol]!;
    const open = cx.data[o + openCol]!;
    const sincePurchase = cx.data[o + lastCol]!;
    const segmentKey = input.segmentKeyOfContact(i);
    const segName = input.segmentNameOfContact(i);
    const inSeg = segName ? ` in “${segName}”` : '';
    const recs = recsOf.get(c.record.id);
    const before = previousOf.get(`contact:${c.record.id}`);
    // Contact actions follow from the contact's state in a fixed order (a purchase just made, churn risk, a
    // product to offer, chance of buying); each probability condition has a band, and the action the contact
    // already has is kept while its condition holds within its band.
    const applicable = (action: ActionType, band: number): boolean => {
      switch (action) {
        case 'hand_to_success':
          return customer && sincePurchase <= 14;
        case 're_engage':
          return customer && s.kind === 'churn' && s.probability >= 0.5 - band;
        case 'cross_sell':
          return customer && recs !== undefined && recs.length > 0 && open === 0;
        case 'call':
          return !customer && s.kind === 'conversion' && s.probability >= 0.4 - band && open === 0;
        case 'email':
          return !customer && s.kind === 'conversion' && s.probability >= 0.2 - band && open === 0;
        default:
          return false;
      }
    };
    let action: ActionType | null = null;
    for (const a of CONTACT_ORDER) {
      if (applicable(a, 0)) {
        action = a;
        break;
      }
    }
    // An action earlier in the order replaces the current one only when its condition holds clearly (past the
    // band): e.g. an email becomes a call once the chance of buying is over 45 %, and back below 35 %.
    const keep =
      before !== undefined &&
      applicable(before.action, PROBABILITY_BAND) &&
      !(
        action !== null &&
        CONTACT_ORDER.indexOf(action) < CONTACT_ORDER.indexOf(before.action) &&
        applicable(action, -PROBABILITY_BAND)
      );
    if (keep) action = before.action;
    // Never an action clearly harmful in the contact's segment: the next applicable one in the order, or none.
    if (input.policy && action !== null && input.policy.blocked('contact', action, segmentKey))
      action = CONTACT_ORDER.find((a) => applicable(a, 0) && !input.policy!.blocked('contact', a, segmentKey)) ?? null;
    if (action === null) return;
    let base = 0;
    let reason = '';
    if (action === 'hand_to_success') {
      base = revenue;
      reason = `Won a deal ${sincePurchase < 7 ? 'this week' : `${span(sincePurchase)} ago`}: hand over to customer success`;
    } else if (action === 're_engage') {
      base = revenue * s.probability;
      const relative = relativeRiskText(
        s.probability,
        usualRisk[segmentKey ?? NO_SEGMENT],
        segmentKey === null ? 'customers' : 'this segment',
      );
      reason = `Customer${inSeg} with ${pct(s.probability)} risk of not buying again${relative ? `, ${relative}` : ''} (${s.reasons[0]?.text ?? 'no recent purchase'})`;
    } else if (action === 'cross_sell') {
      base = revenue * recs![0]!.score * (1 - s.probability);
      reason = `Offer ${recs![0]!.productName}: ${recs![0]!.because}`;
    } else {
      base = s.probability * 1000;
      reason = `Contact${inSeg} with ${pct(s.probability)} chance of buying in the next months and no open deal (${s.reasons[0]?.text ?? ''})`;
    }
    const value = base * learned.worth(segmentKey, action);
    const a: NextBestAction = {
      objectType: 'contact',
      recordId: c.record.id,
      actionKey: '',
      action,
      priority: 'low',
      dueDate: '',
      reason: keep && before ? before.reason : `${reason}.`,
      value,
      segmentKey,
    };
    if (keep) wasKept.add(a);
    contactCandidates.push(a);
  });
  // The most valuable contacts, where a contact already acting counts its worth raised by the margin (so the
  // contacts just at the limit do not swap places run after run).
  const rank = (a: NextBestAction) => (wasKept.has(a) ? (1 + margin) * a.value : a.value);
  contactCandidates.sort((a, b) => rank(b) - rank(a) || (a.recordId < b.recordId ? -1 : 1));
  // Keys (a hash each) only for the contacts kept.
  for (const a of contactCandidates.slice(0, settings.maxContactActions)) {
    a.actionKey = actionKey(input.tenantId, 'contact', a.recordId, a.action);
    actions.push(a);
  }

  // The control group: its records' actions are set aside (decided like any other, so the groups are comparable),
  // never written back; the lift is measured against them.
  const heldOut: ActionsResult['heldOut'] = [];
  const kept: NextBestAction[] = [];
  for (const a of actions) {
    if (inHoldout(input.tenantId, a.objectType, a.recordId, settings.holdoutShare))
      heldOut.push({ objectType: a.objectType, recordId: a.recordId, action: a.action, segmentKey: a.segmentKey });
    else kept.push(a);
  }
  actions.length = 0;
  actions.push(...kept);

  // Priority by absolute thresholds on the expected worth (not by rank, so other records moving cannot change a
  // record's priority), with hysteresis for an action that stays; due in 1, 3 or 7 days for a new action, and
  // the same due date for as long as the action stays.
  const days = { high: 1, medium: 3, low: 7 } as const;
  for (const a of actions) {
    const before = previousOf.get(`${a.objectType}:${a.recordId}`);
    const same = before !== undefined && before.action === a.action;
    a.priority =
      a.action === 'none'
        ? 'low'
        : priorityOf(
            a.value,
            a.objectType === 'deal' ? settings.dealPriority : settings.contactPriority,
            same ? before.priority : null,
            settings.priorityHysteresis,
          );
    a.dueDate =
      same && before.dueDate
        ? before.dueDate.slice(0, 10)
        : new Date(now + days[a.priority] * DAY).toISOString().slice(0, 10);
  }
  return { actions, actionWorth: learned.table, winRateByAction: learned.winRateByAction, heldOut };
}

/** Why a deal gets its action; a deal's `email` has two (an overdue close date, or keeping momentum). */
type DealBasis = 'fell' | 'stale' | 'overdue' | 'fence' | 'hopeless' | 'momentum';
type DealCandidate = [DealBasis, ActionType, number, string];

/** Contact actions in the order their conditions are tried. */
const CONTACT_ORDER: ActionType[] = ['hand_to_success', 're_engage', 'cross_sell', 'call', 'email'];
/** Probability band (points / 100) within which a contact's current action stays past its threshold. */
const PROBABILITY_BAND = 0.05;

/** The basis of an action as the last run stated it (the reason says which when one action has two). */
/** The follow-up a deal gets when nothing else applies, in words that fit its odds ("keep momentum" only on a likely one). */
export function momentumText(amount: string, p: number, pText: string): string {
  if (!isFiniteNumber(p)) return `Follow up on a ${amount} deal with ${pText}`;
  if (p >= 0.5) return `Keep momentum on a ${amount} deal with ${pText}`;
  if (p < 0.2) return `Follow up on a ${amount} deal with a low win probability (${pct(p)}): find out what it needs`;
  return `Follow up on a ${amount} deal with ${pText}`;
}

export function basisOf(objectType: 'deal' | 'contact', action: ActionType, reason: string): string {
  if (objectType === 'contact') return action;
  switch (action) {
    case 'meeting':
      return 'fell';
    case 'call':
      return 'stale';
    case 'discount_offer':
      return 'fence';
    case 'none':
      return 'hopeless';
    case 'email':
      return reason.startsWith('Expected close date passed') ? 'overdue' : 'momentum';
    default:
      return action;
  }
}

/**
 * High / medium / low from absolute thresholds on the worth; a record that was high (medium) stays so until its
 * worth falls `hysteresis` below the high (medium) threshold.
 */
export function priorityOf(
  value: number,
  thresholds: { high: number; medium: number },
  previous: NextBestAction['priority'] | null,
  hysteresis: number,
): NextBestAction['priority'] {
  const stay = 1 - hysteresis;
  if (value >= thresholds.high || (previous === 'high' && value >= thresholds.high * stay)) return 'high';
  if (value >= thresholds.medium || (previous !== null && previous !== 'low' && value >= thresholds.medium * stay))
    return 'medium';
  return 'low';
}

/** Next 3 months of total revenue forecast vs the same months a year earlier (−0.1 = 10 % below). */
export function revenueGap(forecasts: SeriesResult[]): number | null {
  const total = forecasts.find((f) => f.series === 'revenue:total' && f.status === 'ok');
  if (!total) return null;
  const actual = total.points.filter((p) => p.kind === 'actual');
  const fc = total.points.filter((p) => p.kind === 'forecast').slice(0, 3);
  if (actual.length < 12 || fc.length < 3) return null;
  const lastYear = actual.slice(actual.length - 12, actual.length - 12 + fc.length).reduce((a, p) => a + p.value, 0);
  const next = fc.reduce((a, p) => a + p.value, 0);
  return lastYear > 0 ? next / lastYear - 1 : null;
}
