import { Random } from '../src/engine/lib/random.js';
import { type Exposure, measureLift } from '../src/engine/lift/measure-lift.js';
import type { Benchmark } from './run.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-01T00:00:00.000Z');
const WORLDS = 1000;

/**
 * How the lift measurement (src/engine/lift/measure-lift.ts) behaves on worlds with a planted effect: treated and
 * holdout deals win with known probabilities; over 1,000 worlds per case, how often the 95 % interval covers the
 * planted difference (coverage, nominal 95 %) and how often it excludes 0 (power to see the effect).
 */
export const liftIntervalBenchmark: Benchmark = {
  name: 'lift-interval',
  description: 'coverage and power of the lift’s 95 % interval on planted treated/holdout worlds',
  async run() {
    const cases: Array<[treated: number, holdout: number, pTreated: number, pHoldout: number]> = [
      [270, 30, 0.2, 0.2],
      [270, 30, 0.3, 0.2],
      [900, 100, 0.25, 0.2],
      [900, 100, 0.3, 0.2],
      [2700, 300, 0.25, 0.2],
      [4500, 500, 0.05, 0.03],
    ];
    console.log('| treated | holdout | p treated | p holdout | coverage | excludes 0 | mean width (pts) |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [nT, nH, pT, pH] of cases) {
      const rng = new Random(nT * 31 + nH + Math.round(pT * 1000));
      let covered = 0;
      let excludes = 0;
      let width = 0;
      for (let w = 0; w < WORLDS; w++) {
        const deals = [];
        const treated: Exposure[] = [];
        const holdout: Exposure[] = [];
        for (let i = 0; i < nT + nH; i++) {
          const inT = i < nT;
          const won = rng.next() < (inT ? pT : pH);
          const at = NOW - (1 + rng.int(60)) * DAY;
          deals.push({
            id: `d${i}`,
            isClosed: won,
            isWon: won,
            closeDate: won ? new Date(at + DAY).toISOString() : null,
          });
          (inT ? treated : holdout).push({
            objectType: 'deal',
            recordId: `d${i}`,
            action: 'call',
            segmentKey: null,
            at: new Date(at).toISOString(),
          });
        }
        const r = measureLift({
          treated,
          holdout,
          deals: deals as never,
          associations: [],
          decided: [],
          holdoutShare: nH / (nT + nH),
          settings: { windowDays: 90, minGroup: 30 },
          now: NOW,
        });
        const c = r.cells.find((x) => x.action === 'all' && x.segmentKey === null)!;
        if (c.low! <= pT - pH + 1e-12 && pT - pH - 1e-12 <= c.high!) covered++;
        if (c.low! > 0 || c.high! < 0) excludes++;
        width += c.high! - c.low!;
      }
      const share = (n: number) => `${((100 * n) / WORLDS).toFixed(1)} %`;
      console.log(
        `| ${nT} | ${nH} | ${pT} | ${pH} | ${share(covered)} | ${share(excludes)} | ${((100 * width) / WORLDS).toFixed(1)} |`,
      );
    }
    console.log(`(${WORLDS} worlds per row; seeded, so a rerun prints the same figures)`);
  },
};
