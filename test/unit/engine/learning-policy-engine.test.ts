import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../../sandbox/world/generate-world.js';
import type { Exposure } from '../../../src/engine/lift/measure-lift.js';
import { previousRunOf } from '../../../src/engine/previous-run.js';
import { runEngine } from '../../../src/engine/run-engine.js';
import type { EngineInput } from '../../../src/engine/types.js';
import { worldToRecords } from '../../helpers/world-to-records.js';

const world = generateWorld({ seed: 5, contacts: 1200, companies: 150, deals: 1400, asOf: '2026-11-01T00:00:00.000Z' });
const records = worldToRecords(world);
const now = Date.parse(world.asOf);
const DAY = 86_400_000;
const input: EngineInput = { tenantId: 'tenant-p', ...records };
const base = { scores: { trees: 10, minPerClass: 50 }, actions: { holdoutShare: 0.1 } };
const first = runEngine(input, base, { seed: 3, now });

describe('the learning policy in the engine', () => {
  it('stops recommending an action whose history against the control group shows clear harm; the rules do not', () => {
    const calls = (r: typeof first) => r.actions.actions.filter((a) => a.objectType === 'deal' && a.action === 'call');
    const segment = calls(first).find((a) => a.segmentKey !== null)?.segmentKey ?? null;
    expect(segment).not.toBeNull();
    // Planted history in that segment: every deal called lost, every held-out deal won (both closed recently).
    const at = new Date(now - 80 * DAY).toISOString();
    const closedSince = input.deals.filter((d) => d.isClosed && Date.parse(d.closeDate ?? '') >= now - 79 * DAY);
    const exposure = (recordId: string, action: Exposure['action']): Exposure => ({
      objectType: 'deal',
      recordId,
      action,
      segmentKey: segment,
      at,
    });
    const lost = closedSince.filter((d) => !d.isWon).slice(0, 40);
    const won = closedSince.filter((d) => d.isWon).slice(0, 40);
    expect(lost.length).toBeGreaterThanOrEqual(20);
    expect(won.length).toBeGreaterThanOrEqual(20);
    const previous = previousRunOf(first);
    const history = {
      ...previous,
      actions: [
        ...(previous.actions ?? []),
        ...lost.map((d) => ({ ...exposure(d.id, 'call'), createdAt: at, outcome: 'lost' as const })),
      ],
      holdout: [...(previous.holdout ?? []), ...won.map((d) => exposure(d.id, 'email'))],
    };
    const next = (policy: 'rules' | 'learned') =>
      runEngine(
        { ...input, previous: history },
        { ...base, actions: { ...base.actions, policy } },
        { seed: 3, now: now + DAY },
      );
    const inSegment = (r: typeof first) => calls(r).filter((a) => a.segmentKey === segment);
    expect(inSegment(next('rules')).length).toBeGreaterThan(0);
    const learned = next('learned');
    expect(inSegment(learned)).toEqual([]);
    // Calls elsewhere are untouched by this segment's history.
    expect(calls(learned).length).toBeGreaterThan(0);
  });
});
