import { SIM_POLICIES, type SimulateResult, simulate } from '../sandbox/simulate/simulate.js';
import type { Benchmark } from './run.js';

/**
 * The four next-best-action policies side by side on the effects world (sandbox/simulate): 12 weeks of a 5,000-contact
 * world per effects seed, 10 % holdout. Incremental wins come from the world's ground truth (vs no action at all);
 * the learned policy's holdout-measured lift is checked against the world's true lift (coverage of the 95 % interval).
 * `--seeds N` (default 10), `--weeks N` (12), `--contacts N` (5000).
 */
export const policyBenchmark: Benchmark = {
  name: 'policy',
  description: 'random / rules / learned / oracle policies on the effects world: incremental wins, lift coverage',
  async run(args) {
    const arg = (name: string, fallback: number) => {
      const at = args.indexOf(`--${name}`);
      return at >= 0 ? Number(args[at + 1]) : fallback;
    };
    const seeds = arg('seeds', 10);
    const weeks = arg('weeks', 12);
    const contacts = arg('contacts', 5000);
    console.log(`${weeks} weeks, ${contacts} contacts, holdout 10 %, effects seeds 1..${seeds}`);
    console.log(
      '| seed | random | rules | learned | oracle | learned/rules | learned/oracle | learned lift (95 % interval) | true lift | covered | harmful picks wk ≥ 8 (rules / learned) | seconds per run |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |');
    const totals: Record<string, number> = { random: 0, rules: 0, learned: 0, oracle: 0 };
    let covered = 0;
    let measured = 0;
    const pts = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}`);
    for (let seed = 1; seed <= seeds; seed++) {
      const by: Record<string, SimulateResult> = {};
      const started = performance.now();
      for (const policy of SIM_POLICIES)
        by[policy] = simulate({ crm: 'hubspot', policy, weeks, effectsSeed: seed, contacts, holdout: 0.1 });
      const seconds = (performance.now() - started) / 1000 / SIM_POLICIES.length;
      for (const policy of SIM_POLICIES) totals[policy]! += by[policy]!.incrementalWins;
      const l = by.learned!;
      const cover =
        l.estimatedLiftLow !== null && l.trueLift !== null
          ? l.estimatedLiftLow <= l.trueLift && l.trueLift <= l.estimatedLiftHigh!
          : null;
      if (cover !== null) {
        measured++;
        if (cover) covered++;
      }
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '—');
      console.log(
        `| ${seed} | ${by.random!.incrementalWins} | ${by.rules!.incrementalWins} | ${l.incrementalWins} | ${by.oracle!.incrementalWins} | ` +
          `${ratio(l.incrementalWins, by.rules!.incrementalWins)} | ${ratio(l.incrementalWins, by.oracle!.incrementalWins)} | ` +
          `${pts(l.estimatedLift)} (${pts(l.estimatedLiftLow)} to ${pts(l.estimatedLiftHigh)}) | ${pts(l.trueLift)} | ${cover === null ? '—' : cover ? 'yes' : 'no'} | ` +
          `${by.rules!.harmfulAfterWeek8} / ${l.harmfulAfterWeek8} | ${seconds.toFixed(1)} |`,
      );
    }
    const t = totals as Record<(typeof SIM_POLICIES)[number], number>;
    console.log(
      `total incremental wins: random ${t.random}, rules ${t.rules}, learned ${t.learned}, oracle ${t.oracle}; ` +
        `learned/rules ${(t.learned / t.rules).toFixed(2)}, learned/oracle ${(t.learned / t.oracle).toFixed(2)}; ` +
        `learned's 95 % lift interval covered the true lift in ${covered} of ${measured} seeds`,
    );
  },
};
