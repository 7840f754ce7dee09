import { describe, expect, it } from '@jest/globals';
import { Random } from '../../../src/engine/lib/random.js';
import { LearningPolicy, type PolicyObservation } from '../../../src/engine/nba/learning-policy.js';
import type { ActionType } from '../../../src/engine/types.js';

/** Observations of a world with known effects: in segment "s", the control group wins 30 % of the time. */
function history(n: number, effects: Partial<Record<ActionType, number>>, seed = 1): PolicyObservation[] {
  const rng = new Random(seed);
  const out: PolicyObservation[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      objectType: 'deal',
      action: 'email',
      segmentKey: 's',
      group: 'holdout',
      success: rng.next() < 0.3,
      predicted: 0.3,
    });
    for (const [action, effect] of Object.entries(effects) as Array<[ActionType, number]>)
      out.push({
        objectType: 'deal',
        action,
        segmentKey: 's',
        group: 'treated',
        success: rng.next() < 0.3 + effect,
        predicted: 0.3,
      });
  }
  return out;
}

const candidates = (...actions: ActionType[]) => actions.map((action) => ({ action, value: 1000 }));

describe('LearningPolicy', () => {
  it('finds a planted helpful effect and stops recommending a planted harmful one', () => {
    const policy = new LearningPolicy(history(300, { meeting: 0.2, call: -0.2, email: 0 }));
    const meeting = policy.estimate('deal', 'meeting', 's');
    expect(meeting.enough).toBe(true);
    expect(meeting.low).toBeGreaterThan(0);
    expect(meeting.uplift).toBeGreaterThan(0.1);
    expect(meeting.uplift).toBeLessThan(0.3);
    expect(policy.blocked('deal', 'call', 's')).toBe(true);
    expect(policy.blocked('deal', 'meeting', 's')).toBe(false);
    const rng = new Random(3);
    const picks = new Map<ActionType, number>();
    for (let i = 0; i < 500; i++) {
      const c = policy.choose(
        'deal',
        's',
        candidates('meeting', 'call', 'email'),
        'call',
        () => rng.next(),
        () => rng.normal(),
      );
      picks.set(c.action, (picks.get(c.action) ?? 0) + 1);
      if (c.action === 'meeting')
        expect(c.reason).toMatch(/^A meeting: it has raised the chance of success by \+\d+ pts/);
    }
    // The rules said "call": the learned policy never follows them into harm, and mostly picks the meeting.
    expect(picks.get('call') ?? 0).toBe(0);
    expect(picks.get('meeting') ?? 0).toBeGreaterThan(450);
  });

  it('recommends nothing when every action is clearly harmful', () => {
    const policy = new LearningPolicy(history(300, { call: -0.2, email: -0.15 }));
    const c = policy.choose('deal', 's', candidates('call', 'email'), 'call', Math.random, () => 0);
    expect(c.action).toBe('none');
    expect(c.reason).toMatch(/^No action/);
  });

  it('falls back to the rules with too little history, says so, and explores only a bounded share', () => {
    const policy = new LearningPolicy(history(5, { meeting: 0.2 }), { minRecords: 15, exploration: 0.2 });
    const rng = new Random(5);
    let ruled = 0;
    let explored = 0;
    for (let i = 0; i < 1000; i++) {
      const c = policy.choose(
        'deal',
        's',
        candidates('meeting', 'email'),
        'email',
        () => rng.next(),
        () => rng.normal(),
      );
      if (c.source === 'rules') {
        ruled++;
        expect(c.action).toBe('email');
        expect(c.reason).toMatch(/^Following the rules: too little history yet \(\d+ outcomes/);
      } else {
        explored++;
        expect(c.source).toBe('explore');
      }
    }
    expect(ruled + explored).toBe(1000);
    expect(explored).toBeGreaterThan(120);
    expect(explored).toBeLessThan(280);
  });

  it('adjusts for the score: an action given to likelier records does not look good for that alone', () => {
    const rng = new Random(8);
    const obs: PolicyObservation[] = [];
    for (let i = 0; i < 400; i++) {
      // No effect at all; the action goes to records with a 60 % chance, the control group has a 20 % chance.
      obs.push({
        objectType: 'contact',
        action: 'call',
        segmentKey: 'x',
        group: 'treated',
        success: rng.next() < 0.6,
        predicted: 0.6,
      });
      obs.push({
        objectType: 'contact',
        action: 'call',
        segmentKey: 'x',
        group: 'holdout',
        success: rng.next() < 0.2,
        predicted: 0.2,
      });
    }
    const e = new LearningPolicy(obs).estimate('contact', 'call', 'x');
    expect(e.low).toBeLessThan(0);
    expect(e.high).toBeGreaterThan(0);
  });
});
