import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { cleanRecords } from '../../src/engine/clean/clean-records.js';
import { contactFeatures, HISTORY_FEATURES } from '../../src/engine/features/contact-features.js';
import { dealFeatures } from '../../src/engine/features/deal-features.js';
import { featureTime } from '../../src/engine/features/feature-time.js';
import { stageOrder } from '../../src/engine/features/stage-order.js';
import { takeColumns } from '../../src/engine/lib/matrix.js';
import { adjustedRandIndex } from '../../src/engine/lib/metrics.js';
import { resolveSettings, runEngine } from '../../src/engine/run-engine.js';
import { fitScorer } from '../../src/engine/scores/fit-scorer.js';
import { buildSegments, SEGMENT_FEATURES } from '../../src/engine/segments/build-segments.js';
import type { EngineInput, PastAction } from '../../src/engine/types.js';
import { worldToRecords } from '../helpers/world-to-records.js';

const world = generateWorld({ seed: 7, contacts: 2500, companies: 350, deals: 3000, asOf: '2026-11-01T00:00:00.000Z' });
const records = worldToRecords(world);
const now = Date.parse(world.asOf);
const input: EngineInput = { tenantId: 'tenant-1', ...records };
const result = runEngine(input, {}, { seed: 1, now });

describe('the engine on the sandbox world', () => {
  it('cleans: merges the planted duplicates and counts every fix', () => {
    // Every planted duplicate is merged; same name in the same company also merges a few namesakes (counted).
    const merged = result.health.fixes['contacts.duplicates_merged_by_name']!;
    expect(merged).toBeGreaterThanOrEqual(world.truth.duplicates.length);
    expect(result.health.kept.contacts).toBe(2500 - merged);
    if (result.segments.status !== 'ok') throw new Error('segments');
    const kept = new Set(result.segments.members.map((m) => m.recordId));
    for (const [a, b] of world.truth.duplicates) {
      expect([kept.has(String(100_001 + a)), kept.has(String(100_001 + b))].filter(Boolean)).toHaveLength(1);
    }
    const missing = world.deals.filter((d) => d.amount === null).length;
    expect(result.health.fixes['deals.amount_missing_filled_from_line_items']).toBe(missing);
    expect(result.timings.map((t) => t.stage)).toEqual([
      'clean',
      'features',
      'segments',
      'forecasts',
      'scores',
      'cross-sell',
      'actions',
    ]);
  });

  it('segments on standardised RFM, engagement and tenure with k chosen by silhouette, named readably', () => {
    if (result.segments.status !== 'ok') throw new Error(result.segments.message);
    const seg = result.segments;
    expect(seg.features).toEqual(SEGMENT_FEATURES);
    expect(SEGMENT_FEATURES).toEqual(expect.arrayContaining(['days_since_purchase', 'won_deals', 'won_revenue']));
    expect(seg.chosenBy).toBe('silhouette');
    expect(seg.silhouetteByK.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seg.silhouette).toBe(Math.max(...seg.silhouetteByK.map((s) => s.silhouette)));
    expect(seg.silhouetteByK.find((s) => s.k === seg.k)!.silhouette).toBe(seg.silhouette);
    const shares = seg.segments.reduce((a, s) => a + s.valueShare, 0);
    expect(shares).toBeCloseTo(1, 6);
    for (const s of seg.segments) expect(s.name).toMatch(/^[A-Z][a-z-]+( [a-z-]+)*( · [A-Z][a-z-]+( [a-z-]+)*)*$/);
    // The segment with the most email opens is named engaged.
    const top = [...seg.segments].sort(
      (a, b) =>
        b.profile.find((p) => p.feature === 'email_opens')!.mean -
        a.profile.find((p) => p.feature === 'email_opens')!.mean,
    )[0]!;
    expect(top.name).toMatch(/Engaged/);
  });

  it('recovers the planted segments (adjusted Rand index ≥ 0.8) on engagement and tenure with k = 5', () => {
    // The planted segments differ in engagement and tenure; purchases are sparse draws that split every planted
    // segment into buyers and non-buyers, so on RFM (the default) and with silhouette's k they are not
    // recovered at this level (see docs/model-quality.md for the measured figures).
    const data = cleanRecords(input, resolveSettings({}), now);
    const out = buildSegments(
      data,
      contactFeatures(data, now),
      {
        ...resolveSettings({}).segments,
        k: 5,
        features: ['email_opens', 'page_views', 'days_since_activity', 'tenure_days'],
      },
      undefined,
      1,
    );
    if (out.result.status !== 'ok') throw new Error(out.result.message);
    const truth = data.contacts.map((c) => world.contacts[Number(c.record.id) - 100_001]!.segment);
    expect(adjustedRandIndex(truth, Array.from(out.labels!))).toBeGreaterThanOrEqual(0.8);
  });

  it('keeps the previous run’s number of segments when three days of ageing barely move the silhouettes', () => {
    const settings = resolveSettings({});
    const data = cleanRecords(input, settings, now);
    const later = now + 3 * 86_400_000;
    const laterData = cleanRecords(input, settings, later);
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const first = buildSegments(data, contactFeatures(data, now), settings.segments, undefined, seed).result;
      if (first.status !== 'ok') throw new Error(first.message);
      const previous = first.segments.map((s) => ({ segmentKey: s.segmentKey, name: s.name, centre: s.centre }));
      const next = buildSegments(
        laterData,
        contactFeatures(laterData, later),
        settings.segments,
        previous,
        seed,
      ).result;
      if (next.status !== 'ok') throw new Error(next.message);
      expect({ seed, k: next.k, chosenBy: next.chosenBy }).toEqual({ seed, k: first.k, chosenBy: 'previous run' });
      expect(next.segments.map((s) => s.segmentKey).sort()).toEqual(first.segments.map((s) => s.segmentKey).sort());
      const best = Math.max(...next.silhouetteByK.map((s) => s.silhouette));
      expect(best - next.silhouette).toBeLessThanOrEqual(settings.segments.stickiness);
    }
    // A previous k that separates clearly worse than the best is not kept.
    const base = buildSegments(data, contactFeatures(data, now), settings.segments, undefined, 1).result;
    if (base.status !== 'ok') throw new Error(base.message);
    const worst = [...base.silhouetteByK].sort((a, b) => a.silhouette - b.silhouette)[0]!;
    expect(Math.max(...base.silhouetteByK.map((s) => s.silhouette)) - worst.silhouette).toBeGreaterThan(
      settings.segments.stickiness,
    );
    const fake = Array.from({ length: worst.k }, (_, i) => ({
      segmentKey: `segment-${i + 1}`,
      name: 'x',
      centre: base.segments[0]!.centre,
    }));
    const moved = buildSegments(data, contactFeatures(data, now), settings.segments, fake, 1).result;
    if (moved.status !== 'ok') throw new Error(moved.message);
    expect(moved.k).toBe(base.k);
    expect(moved.chosenBy).toBe('silhouette');
  });
  it('ranks the planted win drivers first, with calibrated probabilities and top-3 reasons in words', () => {
    const q = result.scores.win.quality;
    expect(q.status).toBe('forest');
    expect(q.minimumData.met).toBe(true);
    expect(q.auc!).toBeGreaterThan(0.75);
    expect(
      q.importance
        .slice(0, 2)
        .map((i) => i.feature)
        .sort(),
    ).toEqual(['activity_count', 'owner_win_rate']);
    const open = world.deals.filter((d) => typeof d.stage === 'number').length;
    expect(result.scores.win.scores).toHaveLength(open);
    for (const s of result.scores.win.scores) {
      expect(s.probability).toBeGreaterThanOrEqual(0);
      expect(s.probability).toBeLessThanOrEqual(1);
      expect(s.reasons.length).toBeGreaterThan(0);
      expect(s.reasons.length).toBeLessThanOrEqual(3);
      for (const r of s.reasons) expect(r.text).toMatch(/ (raises|lowers) it [\d.]+ pts?$/);
    }
    // Scored deals of the most skilled owners win more often in truth: the model's ranking agrees.
    const byId = new Map(world.deals.map((d) => [String(9_000_001 + d.index), d.winProbability]));
    const pairs = result.scores.win.scores.map((s) => [s.probability, byId.get(s.recordId)!] as const);
    const hi = pairs.filter(([p]) => p >= 0.6).map(([, t]) => t);
    const lo = pairs.filter(([p]) => p < 0.4).map(([, t]) => t);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(hi)).toBeGreaterThan(mean(lo) + 0.2);
    expect(result.scores.contacts.scores).toHaveLength(result.health.kept.contacts!);
  });

  it('caps extreme feature values for the models and counts them per feature in the data-health report', () => {
    const f = result.health.fixes;
    for (const feature of ['won_revenue', 'email_opens', 'tenure_days'])
      expect(f[`segments.${feature}_capped`]).toBeGreaterThan(0);
    for (const feature of ['amount', 'activity_count']) expect(f[`win_model.${feature}_capped`]).toBeGreaterThan(0);
    // Day counts reach the contact model in buckets (dayBucket), whose ends are not outliers: amounts are capped.
    expect(f['contact_model_training.won_revenue_capped']).toBeGreaterThan(0);
    expect(f['contact_model_training.tenure_days_capped']).toBeUndefined();
    // About 1 % of values per continuous feature: at most 0.5 % at each end (ties at a bound stay).
    expect(f['segments.tenure_days_capped']!).toBeLessThanOrEqual(Math.ceil(0.01 * result.health.kept.contacts!) + 2);
    expect(result.health.policy.join(' ')).toMatch(/capped at the 0\.5th \/ 99\.5th percentile/);
  });

  it('trains the contact model strictly as of the cutoff: an outcome-determined engagement count cannot inflate its AUC', () => {
    const q = result.scores.contacts.quality;
    expect(q.status).toBe('forest');
    expect(q.importance.map((i) => i.feature).sort()).toEqual([...HISTORY_FEATURES].sort());
    expect(q.excludedFeatures!.map((e) => e.feature)).toEqual(['email_opens', 'page_views', 'days_since_activity']);
    // Email opens that say exactly who bought after the cutoff (what a current-only count can carry).
    const cutoff = now - resolveSettings({}).scores.conversionWindowDays * 86_400_000;
    const buyers = new Set<string>();
    for (const d of records.deals) {
      const closed = Date.parse(d.closeDate!);
      if (d.isWon && closed > cutoff && closed <= now) {
        for (const a of records.associations)
          if (a.fromType === 'deal' && a.fromId === d.id && a.toType === 'contact') buyers.add(a.toId);
      }
    }
    const leaky = records.contacts.map((c) => ({ ...c, emailOpens: buyers.has(c.id) ? 500 : 0 }));
    const withLeak = runEngine({ ...input, contacts: leaky }, {}, { seed: 1, now });
    expect(withLeak.scores.contacts.quality.auc).toBe(q.auc);
    expect(q.auc!).toBeLessThan(0.9);
    // The same column given to the scorer as a training feature would give a near-perfect held-out AUC.
    const data = cleanRecords({ ...input, contacts: leaky }, resolveSettings({}), now);
    const eligible = data.contacts.flatMap((c, i) => (c.createdAt <= cutoff ? [i] : []));
    const x = takeColumns(contactFeatures(data, now), ['email_opens', 'tenure_days'], eligible);
    const y = Uint8Array.from(eligible, (i) => (data.contacts[i]!.emailOpens === 500 ? 1 : 0));
    const options = { seed: 2, trees: 20, minPerClass: 200, maxTrainRows: 1e5, minSamplesLeaf: 10, maxDepth: 20 };
    expect(fitScorer(x, y, options).quality.auc!).toBeGreaterThan(0.99);
  });

  it('scores contacts on their current values', () => {
    // Current: as of the end of the run's day (day counts are the same for every run of a day).
    const data = cleanRecords(input, resolveSettings({}), featureTime(now));
    const current = contactFeatures(data, featureTime(now));
    let checked = 0;
    for (const [i, s] of result.scores.contacts.scores.entries()) {
      expect(s.recordId).toBe(data.contacts[i]!.record.id);
      for (const r of s.reasons) {
        expect(r.value).toBe(current.data[i * current.cols + current.names.indexOf(r.feature)]!);
        checked++;
      }
      const won = current.data[i * current.cols + current.names.indexOf('won_deals')]!;
      expect(s.kind).toBe(won > 0 ? 'churn' : 'conversion');
    }
    expect(checked).toBeGreaterThan(result.scores.contacts.scores.length);
  });

  it('leaves the contact’s segment out of the win model, and names an open deal’s contact’s segment of today', () => {
    // A closed deal's segment could only be placed with today's centres, which move a little every run: as a
    // feature it moved every closed row, and so the whole win model, daily (issue 13).
    expect(result.scores.win.quality.importance.map((i) => i.feature)).not.toContain('contact_segment');
    const data = cleanRecords(input, resolveSettings({}), now);
    const segments = { labels: new Int32Array(data.contacts.length).fill(1), names: ['never bought', 'bought'] };
    const deals = dealFeatures(data, stageOrder(data.deals), segments, now, 1);
    expect(deals.x.names).not.toContain('contact_segment');
    expect(deals.segmentOfRow.slice(0, deals.closed.length).every((name) => name === null)).toBe(true);
    const open = deals.segmentOfRow.slice(deals.closed.length);
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((name) => name === 'bought')).toBe(true);
  });

  it('forecasts revenue and pipeline per pipeline and in total, with intervals around the point', () => {
    const names = result.forecasts.map((f) => f.series);
    expect(names).toEqual(
      expect.arrayContaining(['revenue:total', 'revenue:default', 'pipeline:total', 'pipeline:default']),
    );
    const total = result.forecasts.find((f) => f.series === 'revenue:total')!;
    expect(total.status).toBe('ok');
    const fc = total.points.filter((p) => p.kind === 'forecast');
    expect(fc).toHaveLength(6);
    expect(fc[0]!.period).toBe('2026-11');
    for (const p of fc) {
      expect(p.lo95!).toBeLessThanOrEqual(p.lo80!);
      expect(p.lo80!).toBeLessThanOrEqual(p.value);
      expect(p.value).toBeLessThanOrEqual(p.hi80!);
    }
  });

  it('finds the planted bundles among the rules and recommends with the rule behind it', () => {
    const sku = new Map(records.products.map((p) => [p.id, p.sku!]));
    const found = result.crossSell.rules
      .filter((r) => r.antecedent.length === 1)
      .map((r) => `${sku.get(r.antecedent[0]!)}>${sku.get(r.consequent)}`);
    for (const b of world.truth.bundles) expect(found).toContain(`${b.a}>${b.b}`);
    const rec = result.crossSell.recommendations.find((r) => r.items.some((i) => i.basis === 'rule'))!;
    expect(rec.items[0]!.because).toMatch(/% of deals with .+ also had .+ \(lift \d/);
  });

  it('decides one action per open deal with priority, due date, reason and a stable key', () => {
    const dealActions = result.actions.actions.filter((a) => a.objectType === 'deal');
    // The control group's deals (10 % by default) have theirs set aside, never written back.
    const heldOut = (result.actions.heldOut ?? []).filter((a) => a.objectType === 'deal');
    expect(heldOut.length).toBeGreaterThan(0);
    expect(dealActions.length + heldOut.length).toBe(result.scores.win.scores.length);
    expect(new Set(result.actions.actions.map((a) => a.actionKey)).size).toBe(result.actions.actions.length);
    for (const a of dealActions) {
      expect(['high', 'medium', 'low']).toContain(a.priority);
      expect(a.dueDate).toMatch(/^2026-11-0[2-8]$/);
      expect(a.reason).toMatch(/\.$/);
    }
    // A churn risk is said against the usual risk of the customer's segment, with that usual beside it.
    const reEngage = result.actions.actions.filter((a) => a.action === 're_engage');
    expect(reEngage.length).toBeGreaterThan(0);
    for (const a of reEngage) {
      expect(a.reason).toMatch(
        /risk of not buying again, (?:\d+(?:\.\d)?× |about )the usual for (?:this segment|customers) \(\d+ %\) \(/,
      );
    }
  });

  it('is deterministic for a seed, keeps segment keys across runs, reports score change and learns from outcomes', () => {
    const again = runEngine(input, {}, { seed: 1, now });
    expect(again.actions.actions).toEqual(result.actions.actions);
    expect(again.scores.win.scores).toEqual(result.scores.win.scores);
    if (result.segments.status !== 'ok') throw new Error('segments');
    const first = result.segments;
    const deal = result.actions.actions.find((a) => a.objectType === 'deal' && a.segmentKey !== null)!;
    const past: PastAction[] = Array.from({ length: 30 }, (_, i) => ({
      objectType: 'deal',
      recordId: `x${i}`,
      action: deal.action,
      segmentKey: deal.segmentKey,
      createdAt: '2026-10-01T00:00:00.000Z',
      outcome: i < 24 ? 'won' : 'lost',
    }));
    // Next run with another seed: previous centres keep the keys; previous scores give a change.
    const next = runEngine(
      {
        ...input,
        previous: {
          segments: first.segments.map((s) => ({ segmentKey: s.segmentKey, name: s.name, centre: s.centre })),
          scores: result.scores.win.scores.map((s) => ({ ...s, probability: s.probability - 0.05 })),
          actions: past,
        },
      },
      {},
      { seed: 2, now },
    );
    if (next.segments.status !== 'ok') throw new Error('segments');
    const keyOf = (r: typeof first, id: string) => r.members.find((m) => m.recordId === id)!.segmentKey;
    const sample = first.members.slice(0, 300).map((m) => m.recordId);
    const same = sample.filter((id) => keyOf(first, id) === keyOf(next.segments as typeof first, id)).length;
    expect(same / sample.length).toBeGreaterThan(0.9);
    expect(next.segments.segments.every((s) => s.previousKey === s.segmentKey)).toBe(true);
    expect(next.scores.win.scores[0]!.previousProbability).toBeCloseTo(
      result.scores.win.scores[0]!.probability - 0.05,
      10,
    );
    expect(next.actions.winRateByAction).toEqual([{ action: deal.action, won: 24, lost: 6, winRate: 0.8 }]);
    const worth = next.actions.actionWorth.find((w) => w.segmentKey === deal.segmentKey && w.action === deal.action)!;
    expect(worth.observations).toBe(30);
    expect(worth.worth).toBeGreaterThan(0.7);
  });
});

describe('the engine on bad input', () => {
  const empty: EngineInput = {
    tenantId: 't',
    contacts: [],
    companies: [],
    deals: [],
    lineItems: [],
    products: [],
    owners: [],
    associations: [],
    stageChanges: [],
  };

  it('gives clear results for empty tables, never NaN scores', () => {
    const r = runEngine(empty, {}, { seed: 1, now });
    expect(r.segments).toEqual({
      status: 'not-enough-data',
      contacts: 0,
      message: 'not enough data: 0 contacts, segments need at least 20',
    });
    expect(r.forecasts).toEqual([]);
    expect(r.scores.win.quality.status).toBe('no-model');
    expect(r.scores.win.quality.message).toBe('no model: no closed records to learn from');
    expect(r.actions.actions).toEqual([]);
    expect(r.health.warnings).toEqual([
      'no contacts: segments and contact scores are skipped',
      'no deals: forecasts, win scores and cross-sell are skipped',
    ]);
  });

  it('says so when every closed deal is won, and counts non-finite numbers it cleared', () => {
    const deals = records.deals.slice(0, 400).map((d) => (d.isClosed ? { ...d, isWon: true, stage: 'closedwon' } : d));
    const contacts = records.contacts
      .slice(0, 200)
      .map((c, i) => (i < 3 ? { ...c, emailOpens: Number.NaN, pageViews: Number.POSITIVE_INFINITY } : c));
    const r = runEngine({ ...input, deals, contacts }, {}, { seed: 1, now });
    expect(r.scores.win.quality.status).toBe('no-model');
    expect(r.scores.win.quality.message).toMatch(
      /^no model: all \d+ closed records are won; both outcomes are needed$/,
    );
    expect(r.scores.win.scores).toEqual([]);
    expect(r.health.fixes['contacts.invalid_number_cleared']).toBe(6);
    for (const s of r.scores.contacts.scores) expect(Number.isFinite(s.probability)).toBe(true);
  });

  it('refuses a bad seed or clock', () => {
    expect(() => runEngine(empty, {}, { seed: 1.5, now })).toThrow('seed must be an integer, got 1.5');
    expect(() => runEngine(empty, {}, { seed: 1, now: Number.NaN })).toThrow('now must be a time in milliseconds');
  });
});
