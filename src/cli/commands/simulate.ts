import type { Command } from 'commander';
import { SIM_POLICIES, type SimPolicy, simulate } from '../../../sandbox/simulate/simulate.js';
import { CrmAgentError, ErrorCode } from '../../lib/errors.js';
import { type CliIo, print } from '../cli-io.js';
import { terminalProgress } from '../progress-bar.js';

const usage = (message: string) => new CrmAgentError(ErrorCode.Usage, message);

function integer(name: string, raw: string, min: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw usage(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return v;
}

/**
 * `crm-agent simulate`: weeks of simulated time in the sandbox world with planted action effects, under one policy;
 * ends with one JSON line. See sandbox/simulate/simulate.ts for the shortcut it takes.
 */
export function registerSimulate(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description(
      'weeks of simulated time in the sandbox world with planted action effects, under one policy; ends with one JSON line. ' +
        'Shortcut: the engine’s policy runs against the effects world directly (no sync, full engine or write-back; ' +
        'scores are the world’s probabilities with noise); the CRM only names the world, both sandboxes serve the same one',
    )
    .requiredOption('--crm <crm>', 'hubspot | salesforce')
    .requiredOption('--policy <policy>', SIM_POLICIES.join(' | '))
    .requiredOption('--weeks <n>', 'simulated weeks (≥ 1)')
    .requiredOption('--effects-seed <n>', 'seed of the world and its planted effects (a new seed is a new world)')
    .option('--contacts <n>', 'contacts in the world', '5000')
    .option('--holdout <share>', 'control-group share, 0 to 0.5 (0.1 = 10 %)', '0.1')
    .action(
      (options: {
        crm: string;
        policy: string;
        weeks: string;
        effectsSeed: string;
        contacts: string;
        holdout: string;
      }) => {
        if (options.crm !== 'hubspot' && options.crm !== 'salesforce')
          throw usage(`--crm must be hubspot or salesforce, got "${options.crm}"`);
        if (!SIM_POLICIES.includes(options.policy as SimPolicy))
          throw usage(`--policy must be one of ${SIM_POLICIES.join(', ')}, got "${options.policy}"`);
        const weeks = integer('weeks', options.weeks, 1);
        const effectsSeed = integer('effects-seed', options.effectsSeed, 0);
        const contacts = integer('contacts', options.contacts, 50);
        const holdout = Number(options.holdout);
        if (!Number.isFinite(holdout) || holdout < 0 || holdout > 0.5)
          throw usage(`--holdout must be a share from 0 to 0.5, got "${options.holdout}"`);
        const bar = terminalProgress(io.stderr, 'simulating');
        let result: ReturnType<typeof simulate>;
        try {
          result = simulate({
            crm: options.crm,
            policy: options.policy as SimPolicy,
            weeks,
            effectsSeed,
            contacts,
            holdout,
            onWeek: (week, total) => bar?.update(week, total, `week ${week} of ${total}`),
          });
        } finally {
          bar?.stop();
        }
        print(io.stdout, JSON.stringify(result));
      },
    );
}
