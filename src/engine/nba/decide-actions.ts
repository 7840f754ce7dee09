import { createHash } from 'node:crypto';
import type { CleanData } from '../clean/clean-records.js';
import { type CONTACT_FEATURES, DAY } from '../features/contact-features.js';
import type { DealFeatureSet } from '../features/deal-features.js';
import { money } from '../features/feature-text.js';
import { INF, isFiniteNumber, round } from '../lib/math.js';
import type { Matrix } from '../lib/matrix.js';
import type {
  ActionsResult,
  ActionType,
  CrossSellResult,
  EngineSettings,
  NextBestAction,
  PastAction,
  RecordScore,
  SeriesResult,
} from '../types.js';
import { learnActionWorth } from './action-worth.js';

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
  settings: EngineSettings['actions'];
  now: number;
}

/** Deterministic key of (tenant, record, action): a re-run plans the same key, so the write is not repeated. */
export function actionKey(tenantId: string, objectType: string, recordId: string, action: ActionType): string {
  return createHash('sha256')
    .update(`${tenantId}\u0000${objectType}\u0000${recordId}\u0000${action}`)
    .digest('hex')
    .slice(0, 32);
}

const pct = (p: number) => `${round(p * 100)} %`;

/**
 * One next-best-action per open deal and per contact worth acting on. Candidate actions come from the scores,
 * their change since the last run, staleness, segment, the revenue forecast's gap and the recommendations;
 * each is weighted by what that action has been worth in the record's segment (learned from past outcomes),
 * and the best is kept with a one-sentence reason.
 */
export function decideActions(input: DecideInput): ActionsResult {
  const { data, deals, settings, now } = input;
  const learned = learnActionWorth(input.past);
  const actions: NextBestAction[] = [];
  const gap = revenueGap(input.forecasts);
  const gapText =
    gap !== null && gap < -0.05
      ? `; revenue for the next 3 months is forecast ${pct(-gap)} below the same months last year`
      : '';

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
    const candidates: Array<[ActionType, number, string]> = [];
    const pText = isFiniteNumber(p) ? `${pct(p)} win probability` : 'no win probability yet';
    if (change !== null && change <= -0.1) {
      candidates.push([
        'meeting',
        1.2,
        `Win probability fell ${round(-change * 100)} pts since the last run (now ${pct(p)}): meet to find out what changed`,
      ]);
    }
    if (isFiniteNumber(stale) && stale >= settings.staleDays && !(p < 0.05)) {
      candidates.push(['call', 1.1, `No activity for ${round(stale)} days on a ${money(amount)} deal with ${pText}`]);
    }
    if (overdue)
      candidates.push([
        'email',
        0.9,
        `Expected close date passed ${round((now - d.closeAt!) / DAY)} days ago (${pText}): confirm the timeline`,
      ]);
    if (isFiniteNumber(stage) && stage >= 3 && p >= 0.3 && p <= 0.7) {
      candidates.push([
        'discount_offer',
        1,
        `Late-stage deal (${money(amount)}) on the fence at ${pct(p)}: an offer could close it`,
      ]);
    }
    if (p < 0.05 && isFiniteNumber(stale) && stale >= 4 * settings.staleDays) {
      candidates.push([
        'none',
        0.1,
        `Unlikely to win (${pct(p)}) and quiet for ${round(stale)} days: no action; consider closing it`,
      ]);
    }
    if (candidates.length === 0)
      candidates.push(['email', 0.8, `Keep momentum on a ${money(amount)} deal with ${pText}`]);
    let best: [ActionType, number, string] | undefined;
    let bestValue = -INF;
    for (const c of candidates) {
      const v = c[0] === 'none' ? 0 : amount * (isFiniteNumber(p) ? p : 0.5) * c[1] * learned.worth(segmentKey, c[0]);
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    actions.push({
      objectType: 'deal',
      recordId: d.record.id,
      actionKey: actionKey(input.tenantId, 'deal', d.record.id, best![0]),
      action: best![0],
      priority: 'low',
      dueDate: '',
      reason: `${best![2]}${best![0] === 'none' ? '' : gapText}.`,
      value: bestValue,
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
  const contactCandidates: NextBestAction[] = [];
  input.contactScores.forEach((s, i) => {
    const c = data.contacts[i]!;
    const o = i * cx.cols;
    const customer = cx.data[o + wonCol]! > 0;
    const revenue = cx.data[o + revCol]!;
    const open = cx.data[o + openCol]!;
    const segmentKey = input.segmentKeyOfContact(i);
    const segName = input.segmentNameOfContact(i);
    const inSeg = segName ? ` in “${segName}”` : '';
    let action: ActionType | null = null;
    let reason = '';
    let base = 0;
    const recs = recsOf.get(c.record.id);
    if (customer && cx.data[o + lastCol]! <= 14) {
      action = 'hand_to_success';
      base = revenue;
      reason = `Won a deal ${round(cx.data[o + lastCol]!)} days ago: hand over to customer success`;
    } else if (customer && s.kind === 'churn' && s.probability >= 0.5) {
      action = 're_engage';
      base = revenue * s.probability;
      reason = `Customer${inSeg} with ${pct(s.probability)} risk of not buying again (${s.reasons[0]?.text ?? 'no recent purchase'})`;
    } else if (customer && recs && recs.length > 0 && open === 0) {
      action = 'cross_sell';
      base = revenue * recs[0]!.score * (1 - s.probability);
      reason = `Offer ${recs[0]!.productName}: ${recs[0]!.because}`;
    } else if (!customer && s.kind === 'conversion' && s.probability >= 0.2 && open === 0) {
      action = s.probability >= 0.4 ? 'call' : 'email';
      base = s.probability * 1000;
      reason = `Contact${inSeg} with ${pct(s.probability)} chance of buying in the next months and no open deal (${s.reasons[0]?.text ?? ''})`;
    }
    if (action === null) return;
    const value = base * learned.worth(segmentKey, action);
    contactCandidates.push({
      objectType: 'contact',
      recordId: c.record.id,
      actionKey: '',
      action,
      priority: 'low',
      dueDate: '',
      reason: `${reason}.`,
      value,
      segmentKey,
    });
  });
  contactCandidates.sort((a, b) => b.value - a.value || (a.recordId < b.recordId ? -1 : 1));
  // Keys (a hash each) only for the contacts kept.
  for (const a of contactCandidates.slice(0, settings.maxContactActions)) {
    a.actionKey = actionKey(input.tenantId, 'contact', a.recordId, a.action);
    actions.push(a);
  }

  // Priority by value within each object type: top fifth high, next two fifths medium; due in 1, 3 or 7 days.
  for (const type of ['deal', 'contact'] as const) {
    const list = actions.filter((a) => a.objectType === type && a.action !== 'none').sort((a, b) => b.value - a.value);
    list.forEach((a, i) => {
      a.priority = i < list.length * 0.2 ? 'high' : i < list.length * 0.6 ? 'medium' : 'low';
    });
  }
  const days = { high: 1, medium: 3, low: 7 } as const;
  for (const a of actions) a.dueDate = new Date(now + days[a.priority] * DAY).toISOString().slice(0, 10);
  return { actions, actionWorth: learned.table, winRateByAction: learned.winRateByAction };
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
