import { describe, expect, it } from '@jest/globals';
import { cli } from '../../helpers/cli.js';

const env = { LOG_LEVEL: 'silent' };
const base = ['simulate', '--crm', 'salesforce', '--weeks', '4', '--effects-seed', '3', '--contacts', '400'];

describe('crm-agent simulate', () => {
  it('ends with one JSON line of the issue’s fields, the same for the same seed, with a bar only on a terminal', async () => {
    const piped = await cli([...base, '--policy', 'learned'], env);
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    const lines = piped.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]!) as Record<string, unknown>;
    for (const key of [
      'policy',
      'weeks',
      'effectsSeed',
      'treated',
      'wins',
      'revenue',
      'incrementalWins',
      'incrementalRevenue',
      'estimatedLift',
      'estimatedLiftLow',
      'estimatedLiftHigh',
      'trueLift',
    ])
      expect(r).toHaveProperty(key);
    expect(r.policy).toBe('learned');
    expect(r.treated).toBeGreaterThan(0);
    const onTerminal = await cli([...base, '--policy', 'learned'], env, { tty: true });
    expect(onTerminal.stdout).toBe(piped.stdout);
    expect(onTerminal.stderr).toContain('week 4 of 4');
  });

  it('with the planted effects known (oracle) gains more than acting at random', async () => {
    const gain = async (policy: string) => {
      const r = await cli([...base, '--policy', policy, '--weeks', '8', '--contacts', '2000'], env);
      return (JSON.parse(r.stdout) as { incrementalWins: number }).incrementalWins;
    };
    expect(await gain('oracle')).toBeGreaterThan(await gain('random'));
  });

  it.each([
    [['--policy', 'greedy'], /^crm-agent: --policy must be one of random, rules, learned, oracle, got "greedy"\n$/],
    [['--policy', 'rules', '--holdout', '-0.1'], /^crm-agent: --holdout must be a share from 0 to 0\.5/],
    [['--policy', 'rules', '--weeks', '0'], /^crm-agent: --weeks must be an integer ≥ 1, got "0"\n$/],
  ])('refuses bad input %j in one line, exit 1', async (extra, message) => {
    const r = await cli([...base, ...extra], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
