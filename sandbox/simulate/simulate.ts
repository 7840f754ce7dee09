import { inHoldout } from '../../src/engine/lift/holdout.js';
import { newcombe } from '../../src/engine/lift/measure-lift.js';
import { LearningPolicy, type PolicyObservation } from '../../src/engine/nba/learning-policy.js';
import type { ActionType } from '../../src/engine/types.js';
import {
  applicableActions,
  type EffectAction,
  type EffectRecord,
  groundTruth,
  makeReps,
  meanEffect,
  outcomeProbability,
  plantEffects,
  workTasks,
} from '../world/effects.js';
import { generateWorld } from '../world/generate-world.js';
import { Rng } from '../world/rng.js';
import type { SegmentKey, World } from '../world/world.js';
import { rulesAction } from './rules-action.js';

export type SimPolicy = 'random' | 'rules' | 'learned' | 'oracle';
export const SIM_POLICIES: readonly SimPolicy[] = ['random', 'rules', 'learned', 'oracle'];

export interface SimulateOptions {
  crm: 'hubspot' | 'salesforce';
  policy: SimPolicy;
  weeks: number;
  effectsSeed: number;
  contacts: number;
  /** Control-group share, 0..0.5. */
  holdout: number;
  /** Called after each simulated week. */
  onWeek?: (week: number, weeks: number) => void;
}

/** The one JSON line `crm-agent simulate` ends with (issue 15), plus how often a harmful action was still chosen. */
export interface SimulateResult {
  policy: SimPolicy;
  crm: 'hubspot' | 'salesforce';
  weeks: number;
  effectsSeed: number;
  contacts: number;
  holdout: number;
  /** Records given an action (not held out, not 'none'). */
  treated: number;
  /** Successes (deals won, contacts buying) among all records decided, as they happened. */
  wins: number;
  revenue: number;
  /** Ground truth: wins and revenue minus what the same records would have had with no action at all. */
  incrementalWins: number;
  incrementalRevenue: number;
  /** What the holdout measured: treated − holdout success rate over outcomes known by the end, 95 % interval. */
  estimatedLift: number | null;
  estimatedLiftLow: number | null;
  estimatedLiftHigh: number | null;
  /** What the world knows for the same treated records: mean of (outcome − outcome without the action). */
  trueLift: number | null;
  /** Decisions in weeks ≥ 8 of an (object type, action, segment) that clearly harms there (true mean effect < −2 pts). */
  harmfulAfterWeek8: number;
}

interface SimRecord extends EffectRecord {
  id: number;
  ownerIndex: number;
  /** The product's score: the outcome's probability as a (noisy) model sees it. */
  score: number;
  /** Week the record is decided; week its outcome is known. */
  decideWeek: number;
  outcomeWeek: number;
  u: number;
}

interface Decision {
  record: SimRecord;
  action: ActionType;
  heldOut: boolean;
  done: boolean;
}

const DAY = 86_400_000;
/** A true mean effect below this (on the probability) is a clear harm. */
const HARM = -0.02;
const logit = (p: number) => Math.log(p / (1 - p));

/** Base log-odds of a contact buying within the simulation's horizon, by planted segment. */
const CONTACT_BASE: Record<SegmentKey, number> = {
  champions: 0.3,
  steady: -0.5,
  lapsed: -1.4,
  prospects: -1.1,
  cold: -2.4,
};

/**
 * Drives weeks of simulated time over the sandbox world with planted action effects. THE SHORTCUT: it does not
 * go through sync, the full engine and write-back; each week it decides the records due (open deals as they
 * arrive, each contact once at a random week) with the chosen policy — `learned` is the engine's LearningPolicy,
 * `rules` a transcription of the engine's rules, scores are the world's probabilities with noise — holds out the
 * control group by the product's own hash of the record (src/engine/lift/holdout.ts), lets the reps work the tasks (compliance, capacity, their taste for
 * likely records), and reveals outcomes 1–8 weeks later; the policy learns from the outcomes known each week.
 * The CRM only names the world (both sandboxes serve the same world). Pure and deterministic per options.
 */
export function simulate(options: SimulateOptions): SimulateResult {
  const { weeks, effectsSeed, holdout } = options;
  const contactsN = options.contacts;
  const world = generateWorld({
    seed: effectsSeed,
    contacts: contactsN,
    companies: Math.max(10, Math.round(contactsN / 10)),
    deals: Math.max(20, Math.round(contactsN * 0.4)),
    asOf: '2026-11-01T00:00:00.000Z',
  });
  const effects = plantEffects(effectsSeed);
  const reps = makeReps(effectsSeed, world.owners.length);
  const rng = new Rng(effectsSeed).fork(`sim:${options.policy}`);
  const worldRng = new Rng(effectsSeed).fork('sim-world');
  const records = buildRecords(world, weeks, worldRng);
  const policy = new LearningPolicy([]);
  const decisions: Decision[] = [];
  const pending: Decision[] = [];
  const harmful = harmfulCells(effects, records);
  let harmfulAfterWeek8 = 0;

  const byWeek = new Map<number, SimRecord[]>();
  for (const r of records) byWeek.set(r.decideWeek, [...(byWeek.get(r.decideWeek) ?? []), r]);

  for (let week = 0; week < weeks; week++) {
    // Outcomes that arrived by this week teach the policy.
    for (let i = pending.length - 1; i >= 0; i--) {
      const d = pending[i]!;
      if (d.record.outcomeWeek > week) continue;
      pending.splice(i, 1);
      if (d.action === 'none') continue;
      policy.add(observation(d, effects));
    }
    const due = byWeek.get(week) ?? [];
    const tasksByOwner = new Map<number, Decision[]>();
    for (const r of due) {
      const action = choose(options.policy, r, policy, effects, rng);
      const heldOut = inHoldout(`sim-${effectsSeed}`, r.objectType, String(r.id), holdout);
      const d: Decision = { record: r, action, heldOut, done: false };
      decisions.push(d);
      pending.push(d);
      if (week >= 8 && action !== 'none' && harmful.has(`${r.objectType}|${action}|${r.segment}`)) harmfulAfterWeek8++;
      if (!heldOut && action !== 'none') tasksByOwner.set(r.ownerIndex, [...(tasksByOwner.get(r.ownerIndex) ?? []), d]);
    }
    for (const [owner, tasks] of tasksByOwner) {
      const rep = reps[owner % reps.length]!;
      const done = workTasks(
        rep,
        tasks.map((t) => t.record.score),
        rng,
      );
      tasks.forEach((t, i) => {
        t.done = done[i]!;
      });
    }
    options.onWeek?.(week + 1, weeks);
  }

  return summarise(options, decisions, effects, weeks, harmfulAfterWeek8);
}

function observation(d: Decision, effects: ReturnType<typeof plantEffects>): PolicyObservation {
  const truth = groundTruth(effects, d.record, d.action as EffectAction, d.done && !d.heldOut, d.record.u);
  return {
    objectType: d.record.objectType,
    action: d.action,
    segmentKey: d.record.segment,
    group: d.heldOut ? 'holdout' : 'treated',
    success: truth.withAction,
    predicted: d.record.score,
  };
}

function choose(
  kind: SimPolicy,
  r: SimRecord,
  policy: LearningPolicy,
  effects: ReturnType<typeof plantEffects>,
  rng: Rng,
): ActionType {
  const actions = applicableActions(r);
  switch (kind) {
    case 'random':
      return rng.chance(0.15) ? 'none' : rng.pick(actions);
    case 'rules':
      return rulesAction(r, r.score);
    case 'oracle': {
      // Knows the planted effects, and that a rep does only some tasks: the largest expected gain in value.
      let best: ActionType = 'none';
      let bestGain = 0;
      const p0 = outcomeProbability(effects, r, null);
      for (const a of actions) {
        const kept = a === 'discount_offer' ? 1 - effects.discountMargin : 1;
        const gain = outcomeProbability(effects, r, a) * kept - p0;
        if (gain > bestGain) {
          bestGain = gain;
          best = a;
        }
      }
      return best;
    }
    case 'learned':
      return policy.choose(
        r.objectType,
        r.segment,
        actions.map((action) => ({ action, value: r.amount * (action === 'discount_offer' ? 0.92 : 1) })),
        rulesAction(r, r.score),
        () => rng.next(),
        () => rng.normal(),
      ).action;
  }
}

/** The (object type, action, segment) cells whose true mean effect over the segment's records is below −2 pts. */
function harmfulCells(effects: ReturnType<typeof plantEffects>, records: SimRecord[]): Set<string> {
  const out = new Set<string>();
  const groups = new Map<string, SimRecord[]>();
  for (const r of records) {
    const k = `${r.objectType}|${r.segment}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const [k, list] of groups) {
    const [objectType, segment] = k.split('|');
    for (const a of new Set(list.flatMap((r) => applicableActions(r))))
      if (meanEffect(effects, list, a) < HARM) out.add(`${objectType}|${a}|${segment}`);
  }
  return out;
}

function summarise(
  options: SimulateOptions,
  decisions: Decision[],
  effects: ReturnType<typeof plantEffects>,
  weeks: number,
  harmfulAfterWeek8: number,
): SimulateResult {
  let treated = 0;
  let wins = 0;
  let revenue = 0;
  let incrementalWins = 0;
  let incrementalRevenue = 0;
  const known = { ts: 0, tn: 0, hs: 0, hn: 0, trueSum: 0 };
  for (const d of decisions) {
    const act = d.action === 'none' ? null : (d.action as EffectAction);
    const given = !d.heldOut && act !== null;
    if (given) treated++;
    const truth = groundTruth(effects, d.record, act, given && d.done, d.record.u);
    wins += Number(truth.withAction);
    revenue += truth.revenueWith;
    incrementalWins += Number(truth.withAction) - Number(truth.withoutAction);
    incrementalRevenue += truth.revenueWith - truth.revenueWithout;
    if (act === null || d.record.outcomeWeek > weeks) continue;
    if (d.heldOut) {
      known.hn++;
      known.hs += Number(truth.withAction);
    } else {
      known.tn++;
      known.ts += Number(truth.withAction);
      known.trueSum += Number(truth.withAction) - Number(truth.withoutAction);
    }
  }
  const measured = known.tn > 0 && known.hn > 0 ? newcombe(known.ts, known.tn, known.hs, known.hn) : null;
  const r4 = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    policy: options.policy,
    crm: options.crm,
    weeks,
    effectsSeed: options.effectsSeed,
    contacts: options.contacts,
    holdout: options.holdout,
    treated,
    wins,
    revenue: Math.round(revenue),
    incrementalWins,
    incrementalRevenue: Math.round(incrementalRevenue),
    estimatedLift: measured ? r4(measured.diff) : null,
    estimatedLiftLow: measured ? r4(measured.low) : null,
    estimatedLiftHigh: measured ? r4(measured.high) : null,
    trueLift: known.tn > 0 ? r4(known.trueSum / known.tn) : null,
    harmfulAfterWeek8,
  };
}

/**
 * The records the simulation decides: the world's open deals (decided in week 0), new deals arriving every week
 * (drawn like the world's closed ones), and every contact once at a random week. Outcomes become known 1–8 weeks
 * (deals) or 2–6 weeks (contacts) after the decision.
 */
function buildRecords(world: World, weeks: number, rng: Rng): SimRecord[] {
  const asOf = Date.parse(world.asOf);
  const out: SimRecord[] = [];
  const segmentOf = (contactIndex: number | undefined) =>
    contactIndex === undefined ? 'steady' : world.contacts[contactIndex]!.segment;
  const customers = new Set<number>();
  for (const d of world.deals) if (d.stage === 'won') for (const c of d.contactIndexes) customers.add(c);
  const push = (r: Omit<SimRecord, 'id' | 'score' | 'u'>) => {
    const p = 1 / (1 + Math.exp(-r.baseLogit));
    const score = 1 / (1 + Math.exp(-(logit(Math.min(Math.max(p, 1e-4), 1 - 1e-4)) + rng.normal(0, 0.4))));
    out.push({ ...r, id: out.length, score, u: rng.next() });
  };
  const dealRecord = (d: World['deals'][number], stage: number, decideWeek: number) => {
    const p = Math.min(Math.max(d.winProbability, 0.01), 0.99);
    push({
      objectType: 'deal',
      segment: segmentOf(d.contactIndexes[0]),
      stage,
      amount: d.amount ?? 4000,
      staleDays: Math.max(0, (asOf - Date.parse(d.lastActivityAt)) / DAY),
      customer: false,
      baseLogit: logit(p),
      ownerIndex: d.ownerIndex,
      decideWeek,
      outcomeWeek: decideWeek + rng.int(1, 8),
    });
  };
  const open = world.deals.filter((d) => typeof d.stage === 'number');
  for (const d of open) dealRecord(d, d.stage as number, 0);
  const closed = world.deals.filter((d) => typeof d.stage !== 'number');
  const perWeek = Math.max(1, Math.round(open.length / 6));
  for (let week = 1; week < weeks; week++)
    for (let i = 0; i < perWeek && closed.length > 0; i++) dealRecord(rng.pick(closed), rng.int(0, 4), week);
  for (const c of world.contacts) {
    if (c.duplicateOf !== null) continue;
    const customer = customers.has(c.index);
    push({
      objectType: 'contact',
      segment: c.segment,
      stage: 0,
      amount: rng.logNormal(c.segment === 'champions' ? 6000 : 3000, 0.5),
      staleDays: Math.max(0, (asOf - Date.parse(c.lastActivityAt)) / DAY),
      customer,
      baseLogit: CONTACT_BASE[c.segment] + (customer ? 0.4 : 0) + rng.normal(0, 0.6),
      ownerIndex: c.ownerIndex,
      decideWeek: rng.int(0, weeks - 1),
      outcomeWeek: 0,
    });
    const r = out[out.length - 1]!;
    r.outcomeWeek = r.decideWeek + rng.int(2, 6);
  }
  return out;
}
