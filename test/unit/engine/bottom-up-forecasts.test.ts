import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../../sandbox/world/generate-world.js';
import { runEngine } from '../../../src/engine/run-engine.js';
import type { EngineInput } from '../../../src/engine/types.js';
import { worldToRecords } from '../../helpers/world-to-records.js';

const world = generateWorld({ seed: 11, contacts: 600, companies: 90, deals: 900, asOf: '2026-11-01T00:00:00.000Z' });
const input: EngineInput = { tenantId: 'tenant-1', ...worldToRecords(world) };
const result = runEngine(input, {}, { seed: 1, now: Date.parse(world.asOf) });
const bottomUp = result.forecasts.filter((s) => s.series.startsWith('bottom-up:'));
const forecastPoints = (series: string) =>
  bottomUp.find((s) => s.series === series)?.points.filter((p) => p.kind === 'forecast') ?? [];

describe('the bottom-up pipeline forecast in an engine run', () => {
  it('gives a total and one series per pipeline with open deals, over the forecast horizon from this month', () => {
    const total = bottomUp.find((s) => s.series === 'bottom-up:total');
    expect(total?.status).toBe('ok');
    const points = forecastPoints('bottom-up:total');
    const revenue = result.forecasts.find((s) => s.series === 'revenue:total')!;
    expect(points.map((p) => p.period)).toEqual(
      revenue.points.filter((p) => p.kind === 'forecast').map((p) => p.period),
    );
    for (const p of points) {
      expect(Number.isFinite(p.value) && p.value >= 0).toBe(true);
      expect(p.lo80!).toBeLessThanOrEqual(p.hi80!);
    }
    expect(points.some((p) => p.value > 0)).toBe(true);
  });

  it('never expects more than Σ amount × P(win) of the open deals (each pipeline learns its own time to close)', () => {
    const total = forecastPoints('bottom-up:total');
    expect(bottomUp.filter((s) => s.series !== 'bottom-up:total' && s.status === 'ok').length).toBeGreaterThan(0);
    const winScores = new Map(result.scores.win.scores.map((s) => [s.recordId, s.probability]));
    // A deal without an amount takes its pipeline's median won amount: at most the largest amount.
    const largest = Math.max(...input.deals.map((d) => d.amount ?? 0));
    const cap = input.deals
      .filter((d) => !d.isClosed && winScores.has(d.id))
      .reduce((a, d) => a + (d.amount ?? largest) * winScores.get(d.id)!, 0);
    expect(total.reduce((a, p) => a + p.value, 0)).toBeLessThanOrEqual(cap * 1.000001);
  });
});
