import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { span } from '../../src/engine/features/feature-text.js';
import type { BinaryClassifier } from '../../src/engine/forest/random-forest.js';
import { matrix } from '../../src/engine/lib/matrix.js';
import { priorityOf } from '../../src/engine/nba/decide-actions.js';
import { previousRunOf } from '../../src/engine/previous-run.js';
import { runEngine } from '../../src/engine/run-engine.js';
import { stableReasons } from '../../src/engine/scores/stable-reasons.js';
import { topReasons } from '../../src/engine/scores/top-reasons.js';
import { kmeans } from '../../src/engine/segments/kmeans.js';
import type { EngineInput, EngineResult, NextBestAction, Reason } from '../../src/engine/types.js';
import { worldToRecords } from '../helpers/world-to-records.js';

const DAY = 86_400_000;

/** A classifier whose contributions are given per row (for the reasons). */
function fixedContributions(names: string[], values: number[][]): BinaryClassifier {
  return {
    kind: 'fixed',
    featureNames: names,
    predict: (x) => new Float64Array(x.rows).fill(0.5),
    contributions: () => ({ base: 0.5, values: Float64Array.from(values.flat()) }),
    importance: () => new Float64Array(names.length),
  };
}

describe('reasons', () => {
  it('say day counts in buckets that change only at their edges', () => {
    expect(span(3)).toBe('under a week');
    expect(span(20)).toBe('over 2 weeks');
    expect(span(21)).toBe('over 2 weeks');
    expect(span(70)).toBe('over 2 months');
    expect(span(1350)).toBe('over 3 years');
    expect(span(1351)).toBe('over 3 years');
    expect(span(5 * 365 + 3)).toBe('over 5 years');
  });

  it('keep the previous words while the set of top factors is the same, and say a new set anew', () => {
    const now: Reason[] = [
      { feature: 'tenure_days', value: 1351, contribution: 0.09, text: 'contact for over 3 years raises it 9 pts' },
      { feature: 'won_deals', value: 4, contribution: -0.11, text: '4 won deals lowers it 11 pts' },
    ];
    const before = [
      { feature: 'won_deals', text: '4 won deals lowers it 10 pts' },
      { feature: 'tenure_days', text: 'contact for over 3 years raises it 8 pts' },
    ];
    expect(stableReasons(now, before).map((r) => r.text)).toEqual(before.map((r) => r.text));
    expect(stableReasons(now, before).map((r) => r.contribution)).toEqual([-0.11, 0.09]);
    // Another factor among the top: the new words.
    expect(stableReasons(now, [before[0]!, { feature: 'page_views', text: '3 page views raises it 2 pts' }])).toBe(now);
    // A factor that now lowers where it raised: said anew.
    const flipped = [{ ...now[0]!, contribution: -0.01 }, now[1]!];
    expect(stableReasons(flipped, before)).toBe(flipped);
    expect(stableReasons(now, undefined)).toBe(now);
  });

  it('keep a stated factor among the top until another outweighs it by the margin', () => {
    const names = ['a', 'b', 'c', 'd'];
    const x = matrix(1, names);
    // d (0.11) edges past c (0.10) for third place.
    const model = fixedContributions(names, [[0.3, 0.2, 0.1, 0.11]]);
    const fresh = topReasons(model, x)[0]!.map((r) => r.feature);
    expect(fresh).toEqual(['a', 'b', 'd']);
    const kept = topReasons(model, x, { previous: () => ['a', 'b', 'c'] })[0]!.map((r) => r.feature);
    expect(kept.sort()).toEqual(['a', 'b', 'c']);
    // Clearly larger (over 50 % more): d takes c's place.
    const clear = fixedContributions(names, [[0.3, 0.2, 0.1, 0.16]]);
    expect(
      topReasons(clear, x, { previous: () => ['a', 'b', 'c'] })[0]!
        .map((r) => r.feature)
        .sort(),
    ).toEqual(['a', 'b', 'd']);
  });
});

describe('priorities', () => {
  const t = { high: 5000, medium: 2000 };
  it('come from absolute thresholds on the worth, with hysteresis for a record that keeps its action', () => {
    expect(priorityOf(6000, t, null, 0.2)).toBe('high');
    expect(priorityOf(4500, t, null, 0.2)).toBe('medium');
    expect(priorityOf(4500, t, 'high', 0.2)).toBe('high');
    expect(priorityOf(3900, t, 'high', 0.2)).toBe('medium');
    expect(priorityOf(1700, t, 'medium', 0.2)).toBe('medium');
    expect(priorityOf(1700, t, 'high', 0.2)).toBe('medium');
    expect(priorityOf(1700, t, 'low', 0.2)).toBe('low');
    expect(priorityOf(1500, t, 'medium', 0.2)).toBe('low');
  });
});

describe('k-means warm-started from its own centres', () => {
  it('gives the same centres and labels when fed back again and again on unchanged data', () => {
    // Three loose blobs, stopped by the tolerance before full convergence.
    const rows = 600;
    const data = new Float64Array(rows * 2);
    let s = 1;
    const rand = () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647;
    };
    for (let i = 0; i < rows; i++) {
      data[2 * i] = (i % 3) * 2 + rand() * 3;
      data[2 * i + 1] = rand() * 3;
    }
    const first = kmeans(data, rows, 2, { k: 3, seed: 1, starts: 2, tolerance: 1e-2 });
    let previous = first;
    for (let run = 0; run < 5; run++) {
      const next = kmeans(data, rows, 2, { k: 3, seed: 1, starts: 2, tolerance: 1e-2, initial: previous.centres });
      expect(Array.from(next.centres)).toEqual(Array.from(first.centres));
      expect(Array.from(next.labels)).toEqual(Array.from(first.labels));
      previous = next;
    }
  });
});

describe('the engine fed its own results back (planted world)', () => {
  const world = generateWorld({
    seed: 7,
    contacts: 2500,
    companies: 350,
    deals: 3000,
    asOf: '2026-11-01T00:00:00.000Z',
  });
  const records = worldToRecords(world);
  const now = Date.parse(world.asOf);
  const input: EngineInput = { tenantId: 'tenant-1', ...records };
  const first = runEngine(input, {}, { seed: 1, now });
  const key = (a: { objectType: string; recordId: string }) => `${a.objectType}:${a.recordId}`;
  const actionsOf = (r: EngineResult) => new Map(r.actions.actions.map((a) => [key(a), a]));
  const membersOf = (r: EngineResult) =>
    r.segments.status === 'ok' ? new Map(r.segments.members.map((m) => [m.recordId, m.segmentKey])) : new Map();
  const reasonsOf = (r: EngineResult) =>
    new Map(
      [...r.scores.win.scores, ...r.scores.contacts.scores].map((s) => [
        key(s),
        s.reasons.map((x) => x.text).join(' | '),
      ]),
    );

  it('gives identical results, probabilities and segments when nothing changed, run after run', () => {
    let previous = first;
    for (let run = 0; run < 3; run++) {
      const next = runEngine({ ...input, previous: previousRunOf(previous) }, {}, { seed: 1, now });
      expect(membersOf(next)).toEqual(membersOf(first));
      if (next.segments.status !== 'ok' || first.segments.status !== 'ok') throw new Error('segments');
      // Centres round-trip through the features' own units (expm1 / log1p): equal to within 1e-9.
      const centres = (r: typeof first.segments) =>
        r.segments.map((x) => [
          x.segmentKey,
          x.size,
          Object.values(x.centre).map((v) => Math.round(v * 1e9) / 1e9 + 0),
        ]);
      expect(centres(next.segments)).toEqual(centres(first.segments));
      expect(next.scores.win.scores.map((s) => s.probability)).toEqual(
        first.scores.win.scores.map((s) => s.probability),
      );
      expect(next.scores.contacts.scores.map((s) => s.probability)).toEqual(
        first.scores.contacts.scores.map((s) => s.probability),
      );
      expect(next.actions.actions).toEqual(first.actions.actions);
      previous = next;
    }
  }, 600_000);

  it('gives identical results to a run later the same day (day counts as of the end of the day)', () => {
    // 09:00 and 17:30 UTC on the world's day: fractional day counts would move records across the model's splits.
    const morning = runEngine(input, {}, { seed: 1, now: now + 9 * 3_600_000 });
    const evening = runEngine(
      { ...input, previous: previousRunOf(morning) },
      {},
      { seed: 1, now: now + 17.5 * 3_600_000 },
    );
    const probabilities = (r: EngineResult) =>
      [...r.scores.win.scores, ...r.scores.contacts.scores].map((s) => `${key(s)} ${s.probability}`);
    expect(probabilities(evening)).toEqual(probabilities(morning));
    expect(membersOf(evening)).toEqual(membersOf(morning));
    expect(reasonsOf(evening)).toEqual(reasonsOf(morning));
    expect(evening.actions.actions).toEqual(morning.actions.actions);
  }, 600_000);

  it('keeps a contact in its previous segment unless another centre is closer by the margin', () => {
    if (first.segments.status !== 'ok') throw new Error('segments');
    const segs = first.segments;
    const keys = segs.segments.map((x) => x.segmentKey);
    // Told every contact was in the segment after its own: with a huge margin they all stay there; with none,
    // each goes back to its nearest centre.
    const shifted = {
      ...previousRunOf(first),
      members: segs.members.map((m) => ({
        recordId: m.recordId,
        segmentKey: keys[(keys.indexOf(m.segmentKey) + 1) % keys.length]!,
      })),
    };
    const run = (switchMargin: number) =>
      membersOf(runEngine({ ...input, previous: shifted }, { segments: { switchMargin } }, { seed: 1, now }));
    expect(run(100)).toEqual(new Map(shifted.members.map((m) => [m.recordId, m.segmentKey])));
    expect(run(0)).toEqual(membersOf(first));
  }, 600_000);

  it('changes at most 1 % of records’ action, action reason or segment when the clock moves one day', () => {
    const later = runEngine({ ...input, previous: previousRunOf(first) }, {}, { seed: 1, now: now + DAY });
    const [a, b] = [actionsOf(first), actionsOf(later)];
    const [ma, mb] = [membersOf(first), membersOf(later)];
    const changed = new Set<string>();
    for (const [k, x] of a) {
      const y = b.get(k);
      if (!y || y.action !== x.action || y.reason !== x.reason) changed.add(k);
      // Due dates stay with the action.
      if (y && y.action === x.action) expect(y.dueDate).toBe(x.dueDate);
    }
    for (const k of b.keys()) if (!a.has(k)) changed.add(k);
    for (const [id, seg] of ma) if (mb.get(id) !== seg) changed.add(`contact:${id}`);
    const records = first.health.kept.contacts! + first.health.kept.deals!;
    expect(changed.size / records).toBeLessThanOrEqual(0.01);
    // Top-reason texts of scores: reported, see the note in docs (the win model retrains as the clock moves).
    const [ra, rb] = [reasonsOf(first), reasonsOf(later)];
    let reasonChanges = 0;
    for (const [k, t] of rb) if (ra.get(k) !== t) reasonChanges++;
    expect(reasonChanges / records).toBeLessThanOrEqual(0.05);
  }, 600_000);

  it('keeps an applicable action unless another is better by the margin, and carries its due date', () => {
    // A deal whose best action is a call (no activity): told it had a momentum email.
    const call = first.actions.actions.find((a) => a.objectType === 'deal' && a.action === 'call') as NextBestAction;
    expect(call).toBeDefined();
    const previous = previousRunOf(first);
    previous.current = previous.current!.map((a) =>
      key(a) === key(call)
        ? { ...a, action: 'email', reason: 'Keep momentum on this deal.', dueDate: '2026-10-30', priority: 'low' }
        : a,
    );
    // A call is worth 1.1 / 0.8 of a momentum email: over a 10 % margin, under a 50 % one.
    const switched = actionsOf(runEngine({ ...input, previous }, {}, { seed: 1, now })).get(key(call))!;
    expect(switched.action).toBe('call');
    expect(switched.dueDate).not.toBe('2026-10-30');
    const kept = actionsOf(runEngine({ ...input, previous }, { actions: { switchMargin: 0.5 } }, { seed: 1, now })).get(
      key(call),
    )!;
    expect(kept).toMatchObject({ action: 'email', reason: 'Keep momentum on this deal.', dueDate: '2026-10-30' });
  }, 600_000);

  it('does not flip actions back and forth as the clock moves a day at a time with results fed back', () => {
    const history = new Map<string, string[]>();
    let previous: EngineResult | undefined;
    for (let day = 0; day < 4; day++) {
      // Runs on the 4 days up to the world's day: their features describe the ends of those days (featureTime),
      // the same 4 days as before features were measured at the end of the run's day (runs starting a day later,
      // over the contact model's weekly retraining, flip 14 of 1,026 records either way).
      const r = runEngine(
        { ...input, ...(previous ? { previous: previousRunOf(previous) } : {}) },
        {},
        { seed: 1, now: now - DAY + day * DAY },
      );
      for (const a of r.actions.actions) history.set(key(a), [...(history.get(key(a)) ?? []), a.action]);
      previous = r;
    }
    let flips = 0;
    for (const seq of history.values()) {
      for (let i = 2; i < seq.length; i++) if (seq[i] === seq[i - 2] && seq[i] !== seq[i - 1]) flips++;
    }
    // Measured: 3 of about 1,000 records over 4 days (each a real threshold crossed and then a model change).
    expect(flips).toBeLessThanOrEqual(0.005 * history.size);
  }, 600_000);
});
